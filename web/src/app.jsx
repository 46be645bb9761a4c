// Which page an address shows: `/` the lobby, `/w/{id}` a workshop.
import { Lobby } from './views/Lobby.jsx'
import { WorkshopPage } from './views/WorkshopPage.jsx'

export function App () {
  const match = window.location.pathname.match(/^\/w\/([^/]+)\/?$/)
  if (match) return <WorkshopPage id={decodeURIComponent(match[1])} />
  return <Lobby />
}
