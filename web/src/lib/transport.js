// How this page reaches its server: whether invite tokens and everything written travel in
// clear to another machine (plain http:// to a host that is not this one).

/** True for plain `http:` to a host other than loopback or `localhost`. */
export function inClearToAnotherMachine ({ protocol, hostname }) {
  if (protocol !== 'http:') return false
  const host = String(hostname).replace(/^\[|\]$/g, '').toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost')) return false
  if (host === '::1') return false
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return false
  return true
}
