/** The hubspot adapter's `crm.options` (checked by ../shared/settings.ts: unknown keys refused). */
import { Type } from 'typebox'
import { adapterSettings } from '../shared/settings.js'

const read = adapterSettings(
  'hubspot',
  Type.Object(
    {
      /** The private app's access token: give it as a secret reference (`{ fromEnv: HUBSPOT_ACCESS_TOKEN }`). */
      accessToken: Type.String({ minLength: 1 }),
      /**
       * Search calls per second the gateway allows itself. HubSpot's search guide limits the
       * search endpoints to five requests per second per account, shared by every integration
       * of the portal; the default leaves one for the others.
       */
      searchRequestsPerSecond: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
      /** The property group `crm provision` creates the table's custom properties in. */
      propertyGroup: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,99}$' }))
    },
    { additionalProperties: false }
  )
)

export interface HubSpotSettings {
  readonly accessToken: string
  readonly searchRequestsPerSecond: number
  readonly propertyGroup: string
}

export const DEFAULT_SEARCH_REQUESTS_PER_SECOND = 4
export const DEFAULT_PROPERTY_GROUP = 'clienteling'

export function readHubSpotSettings(settings: unknown): HubSpotSettings {
  const s = read(settings)
  return {
    accessToken: s.accessToken,
    searchRequestsPerSecond: s.searchRequestsPerSecond ?? DEFAULT_SEARCH_REQUESTS_PER_SECOND,
    propertyGroup: s.propertyGroup ?? DEFAULT_PROPERTY_GROUP
  }
}
