// The service worker: keeps the page's own files so that a workshop opens, and can be
// edited, with no connection. Edits are kept by the page itself, in IndexedDB; this only
// serves the page. Navigation and the page's files: network first, the cached copy when the
// network fails. The API and the WebSocket are never cached.
const CACHE = 'workshop-page-__BUILD_VERSION__'
const SHELL = ['/', '/assets/app.js', '/assets/app.css']
/** How long the network may take before the cached copy is served instead. */
const NETWORK_WAIT_MS = 5000

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
  // A server error (a proxy's 502 while the server restarts, say) or a network that hangs
  // counts as offline: the cached copy is better than either.
  const fromNetwork = Promise.race([
    fetch(request),
    new Promise((_resolve, reject) => setTimeout(() => reject(new Error('timeout')), NETWORK_WAIT_MS))
  ]).then((response) => {
    if (response.status >= 500) throw new Error('server error')
    if (response.ok) {
      const copy = response.clone()
      event.waitUntil(caches.open(CACHE).then((cache) => cache.put(key, copy)))
    }
    return response
  })
  event.respondWith(
    fromNetwork.catch(() => caches.match(key).then((cached) => cached || Response.error()))
  )
})
