// Which page an address shows: `/` the lobby, `/w/{id}` a workshop.
import { ClearTextWarning } from './views/ClearTextWarning.jsx'
import { Lobby } from './views/Lobby.jsx'
import { WorkshopPage } from './views/WorkshopPage.jsx'

export function App () {
  const match = window.location.pathname.match(/^\/w\/([^/]+)\/?$/)
  const page = match ? <WorkshopPage id={decodeURIComponent(match[1])} /> : <Lobby />
  return (
    <>
      <ClearTextWarning />
      {page}
    </>
  )
}
