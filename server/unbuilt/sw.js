// The server was built without its page: no service worker, and none left from an earlier
// build keeps serving a cached page.
self.addEventListener('install', () => self.skipWaiting())
self.addEventListener('activate', () => self.registration.unregister())
