// A warning on every page when it came over plain http from another machine: its invite token
// and everything the person writes travel unencrypted.
import { inClearToAnotherMachine } from '../lib/transport.js'

export function ClearTextWarning () {
  if (!inClearToAnotherMachine(window.location)) return null
  return (
    <aside class='clear-text-warning' aria-label='Connection warning'>
      <p>
        <strong>Not private:</strong> this page came over plain http from another machine, so
        invite links and everything you write here travel unencrypted. Ask whoever runs the
        server to serve it over https.
      </p>
    </aside>
  )
}
