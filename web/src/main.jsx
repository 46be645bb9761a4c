// The page's entry point: styles, the service worker (so that the page opens offline), and
// the app.
import './style.css'
import './charts/charts.css'
import { render } from 'preact'
import { App } from './app.jsx'

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch(() => {
    // Without it the page still works online; only opening it offline needs it.
  })
}

const root = document.getElementById('app')
root.textContent = '' // the "Loading…" placeholder of index.html
render(<App />, root)
