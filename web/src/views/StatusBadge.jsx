// The connection indicator: online, syncing, offline or stopped, in words as well as colour.
// Only the one-word state is a live region, so a screen reader hears "Offline" once, not the
// explanation on every change.
export function StatusBadge ({ status }) {
  const { mode, unsent, stored } = status
  const label = !stored
    ? 'Loading…'
    : { online: 'Online', syncing: 'Syncing…', offline: 'Offline', stopped: 'Stopped' }[mode]
  const detail = !stored
    ? 'Opening this device\'s copy.'
    : mode === 'online'
      ? 'All changes are shared.'
      : mode === 'syncing'
        ? 'Exchanging changes with the server.'
        : mode === 'stopped'
          ? 'Changes are no longer shared: see the message below.'
          : unsent
            ? 'Your changes are kept on this device and will be shared when the connection returns.'
            : 'Changes you make are kept on this device and shared when the connection returns.'
  return (
    <div class={`status status-${mode}`} data-status={mode}>
      <span class='status-dot' aria-hidden='true' />
      <span class='status-label' role='status'>{label}</span>
      <span class='status-detail'>{detail}</span>
    </div>
  )
}
