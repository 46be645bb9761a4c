// The top five constraints and enablers as the engine ranks them.
import { CONTROLS, RESPONSES } from '../../lib/model.js'
import { fmt } from '../controls.jsx'

const CONTROL = Object.fromEntries(CONTROLS)
const RESPONSE = Object.fromEntries(RESPONSES)

export function TopItems ({ results, aspectTitles }) {
  return (
    <div class='top-items'>
      {[['constraints', 'Constraints'], ['enablers', 'Enablers']].map(([key, title]) => (
        <div key={key}>
          <h4>{title}</h4>
          {(results[key] || []).length === 0
            ? <p class='muted'>None yet.</p>
            : (
              <ol>
                {results[key].map((item) => (
                  <li key={item.id}>
                    <strong>{item.title || 'Untitled'}</strong>
                    <span class='muted small'>
                      {' '}· priority {fmt(item.priority, 2)} · impact {fmt(item.impact, 1)}
                      {item.aspect ? ` · ${aspectTitles[item.aspect] || item.aspect}` : ''}
                      {item.control ? ` · ${CONTROL[item.control] || item.control}` : ''}
                      {item.response ? ` · ${RESPONSE[item.response] || item.response}` : ''}
                    </span>
                  </li>
                ))}
              </ol>
              )}
        </div>
      ))}
    </div>
  )
}
