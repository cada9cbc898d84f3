/**
 * The dynamics365 adapter's `crm.options` (checked by ../shared/settings.ts: unknown keys
 * refused). The gateway signs in as an *application user*: a Microsoft Entra ID app
 * registration whose client id is bound to a Dataverse application user with a security role
 * (README.md in this folder says what an administrator sets up, in order).
 */
import { Type } from 'typebox'
import { adapterSettings } from '../shared/settings.js'

const read = adapterSettings(
  'dynamics365',
  Type.Object(
    {
      /** The Entra ID tenant: its id (a GUID) or a verified domain (`contoso.onmicrosoft.com`). */
      tenantId: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$' }),
      /** The app registration's application (client) id. */
      clientId: Type.String({ minLength: 1, maxLength: 100 }),
      /** The app registration's client secret: give it as a secret reference (`{ fromEnv: … }`). */
      clientSecret: Type.String({ minLength: 1 }),
      /**
       * Where tokens come from. Default https://login.microsoftonline.com (the public cloud);
       * a sovereign cloud has its own (https://login.microsoftonline.us…).
       */
      authorityHost: Type.Optional(Type.String({ pattern: '^https?://[^/?#]+$' })),
      /**
       * The token's scope. Default: the environment's URL (`crm.baseUrl`'s origin) + `/.default`,
       * as the client credentials flow asks for Dataverse.
       */
      scope: Type.Optional(Type.String({ pattern: '^https?://\\S+/\\.default$' })),
      /** The Web API version in paths. Default v9.2. */
      apiVersion: Type.Optional(Type.String({ pattern: '^v9\\.[0-9]$' }))
    },
    { additionalProperties: false }
  )
)

export interface Dynamics365Settings {
  readonly tenantId: string
  readonly clientId: string
  readonly clientSecret: string
  readonly authorityHost: string
  readonly scope: string
  readonly apiVersion: string
}

export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com'
export const DEFAULT_API_VERSION = 'v9.2'

export function readDynamics365Settings(settings: unknown, baseUrl: string): Dynamics365Settings {
  const s = read(settings)
  return {
    tenantId: s.tenantId,
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    authorityHost: s.authorityHost ?? DEFAULT_AUTHORITY_HOST,
    scope: s.scope ?? `${new URL(baseUrl).origin}/.default`,
    apiVersion: s.apiVersion ?? DEFAULT_API_VERSION
  }
}
