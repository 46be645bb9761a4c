// The connection indicator: online, syncing or offline, in words as well as colour, and
// announced to screen readers when it changes.
export function StatusBadge ({ status }) {
  const { mode, unsent } = status
  const label = mode === 'online' ? 'Online' : mode === 'syncing' ? 'Syncing…' : 'Offline'
  const detail = mode === 'online'
    ? 'All changes are shared.'
    : mode === 'syncing'
      ? 'Exchanging changes with the server.'
      : unsent
        ? 'Your changes are kept on this device and will be shared when the connection returns.'
        : 'Changes you make are kept on this device and shared when the connection returns.'
  return (
    <div class={`status status-${mode}`} role='status' aria-live='polite' data-status={mode}>
      <span class='status-dot' aria-hidden='true' />
      <span class='status-label'>{label}</span>
      <span class='status-detail'>{detail}</span>
    </div>
  )
}
