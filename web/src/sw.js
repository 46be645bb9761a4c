// The service worker: keeps the page's own files so that a workshop opens, and can be
// edited, with no connection. Edits are kept by the page itself, in IndexedDB; this only
// serves the page. Navigation and the page's files: network first, the cached copy when the
// network fails. The API and the WebSocket are never cached.
const CACHE = 'workshop-page-__BUILD_VERSION__'
const SHELL = ['/', '/assets/app.js', '/assets/app.css']

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim())
  )
})

self.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin) return
  const isPage = request.mode === 'navigate' && (url.pathname === '/' || url.pathname.startsWith('/w/'))
  const isFile = SHELL.includes(url.pathname)
  if (!isPage && !isFile) return
  // Every page address is the same file: the lobby's.
  const key = isPage ? '/' : url.pathname
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone()
          caches.open(CACHE).then((cache) => cache.put(key, copy))
        }
        return response
      })
      .catch(() => caches.match(key).then((cached) => cached || Response.error()))
  )
})
