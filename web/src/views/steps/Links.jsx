// The facilitators' page of invite links (beside the method's steps, not one of them): make a
// link for a role, copy it, revoke it or a participant's own access.
import { InviteLinks } from '../InviteLinks.jsx'
import { StepHeading } from '../controls.jsx'

export function Links ({ workshop, token, me, people, can, heading }) {
  return (
    <section>
      <StepHeading heading={heading}>Invite links</StepHeading>
      {!can.facilitate && <p>Only facilitators manage the invite links. Ask a facilitator for a link to share.</p>}
      {can.facilitate && (
        <>
          <p class='lede'>
            Anyone with a link joins with its rights. Revoking a link, or a participant's own
            access, cuts off whoever uses it at once.
          </p>
          <InviteLinks id={workshop.id} token={token} people={people} me={me} />
        </>
      )}
    </section>
  )
}
