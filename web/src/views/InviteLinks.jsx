// The invite links of a workshop, one per role, each with a copy button.
import { useState } from 'preact/hooks'

const ROLES = [
  ['editor', 'Participants', 'join, vote and edit the workshop'],
  ['viewer', 'Observers', 'follow the workshop without editing'],
  ['facilitator', 'Facilitators', 'run the workshop: agreed values, roles and tokens']
]

export function InviteLinks ({ id, tokens }) {
  const [copied, setCopied] = useState(null)
  const link = (token) => `${window.location.origin}/w/${id}?token=${encodeURIComponent(token)}`
  return (
    <dl class='invite-links'>
      {ROLES.filter(([role]) => tokens[role]).map(([role, who, what]) => (
        <div key={role}>
          <dt>{who} <span class='muted'>({what})</span></dt>
          <dd>
            <input readOnly value={link(tokens[role])} aria-label={`Invite link for ${who.toLowerCase()}`} onFocus={(e) => e.currentTarget.select()} />
            <button
              type='button'
              onClick={() => navigator.clipboard?.writeText(link(tokens[role])).then(() => setCopied(role), () => setCopied(null))}
            >
              Copy<span class='visually-hidden'> the link for {who.toLowerCase()}</span>
            </button>
            <span role='status' class='muted'>{copied === role ? 'Copied' : ''}</span>
          </dd>
        </div>
      ))}
    </dl>
  )
}
