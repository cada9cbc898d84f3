/**
 * The sap-c4c adapter's `crm.options` (checked by ../shared/settings.ts: unknown keys refused).
 *
 * Authentication, as SAP's C4C OData developer's guide lists it ("Authentication":
 * https://github.com/SAP-archive/C4CODATAAPIDEVGUIDE#authentication): Basic authentication
 * (a user name and password) or OAuth's SAML bearer flow (`Authorization: Bearer <token>`).
 * - `username` + `password`: a technical (communication) user, Basic authentication: what a
 *   system-to-system integration uses in C4C. Give both as secret references.
 * - `accessToken`: an OAuth 2.0 access token obtained from the tenant's token endpoint by the
 *   SAML bearer flow, outside the gateway (the assertion is signed by the merchant's identity
 *   provider, whose key the gateway should not hold). Sent as a Bearer token.
 * Exactly one of the two is required.
 */
import { Type } from 'typebox'
import { adapterSettings } from '../shared/settings.js'

/** The standard C4C OData service the adapter speaks (guide: "OData Service Catalog"). */
export const DEFAULT_SERVICE_PATH = '/sap/c4c/odata/v1/c4codataapi'

/**
 * The role a new individual customer gets: CRM000 (customer); BUP002 makes a prospect (the
 * RoleCode code list of the IndividualCustomer entity in the C4C OData API reference).
 */
export const DEFAULT_ROLE_CODE = 'CRM000'

/** IndividualCustomer properties of type Edm.DateTime the standard table writes. */
export const DEFAULT_DATE_PROPERTIES = ['BirthDate', 'LoyaltyTierStartDate_KUT', 'LoyaltyTierEndDate_KUT'] as const

const ODATA_NAME = '^[A-Za-z_][A-Za-z0-9_]{0,127}$'

const read = adapterSettings(
  'sap-c4c',
  Type.Object(
    {
      /** The technical user (Basic authentication). */
      username: Type.Optional(Type.String({ minLength: 1 })),
      password: Type.Optional(Type.String({ minLength: 1 })),
      /** An OAuth 2.0 access token (SAML bearer flow, obtained outside the gateway). */
      accessToken: Type.Optional(Type.String({ minLength: 1 })),
      /** The OData service's path under the tenant URL; default the standard c4codataapi. */
      servicePath: Type.Optional(Type.String({ pattern: '^(/[A-Za-z0-9_.-]+)+$' })),
      /** RoleCode of customers the gateway creates (default CRM000). */
      roleCode: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{1,10}$' })),
      /**
       * The Edm.DateTime properties the table writes as `YYYY-MM-DD` (the adapter sends them as
       * `/Date(ms)/`). Default: BirthDate and the loyalty tier dates of mappings/sap-c4c.yaml.
       */
      dateProperties: Type.Optional(Type.Array(Type.String({ pattern: ODATA_NAME }), { maxItems: 64 }))
    },
    { additionalProperties: false }
  )
)

export type C4cAuth = { readonly kind: 'basic'; readonly username: string; readonly password: string } | { readonly kind: 'bearer'; readonly token: string }

export interface C4cSettings {
  readonly auth: C4cAuth
  readonly servicePath: string
  readonly roleCode: string
  readonly dateProperties: ReadonlySet<string>
}

export function readC4cSettings(settings: unknown): C4cSettings {
  const s = read(settings)
  const basic = s.username !== undefined || s.password !== undefined
  if (basic && s.accessToken !== undefined) throw new Error('sap-c4c adapter: give either settings.username and settings.password, or settings.accessToken, not both')
  if (basic && (s.username === undefined || s.password === undefined)) throw new Error('sap-c4c adapter: settings.username and settings.password go together')
  if (!basic && s.accessToken === undefined) throw new Error('sap-c4c adapter: settings.username and settings.password (Basic), or settings.accessToken (OAuth), is required')
  const auth: C4cAuth =
    s.username !== undefined && s.password !== undefined
      ? { kind: 'basic', username: s.username, password: s.password }
      : { kind: 'bearer', token: s.accessToken ?? '' }
  return {
    auth,
    servicePath: s.servicePath ?? DEFAULT_SERVICE_PATH,
    roleCode: s.roleCode ?? DEFAULT_ROLE_CODE,
    dateProperties: new Set(s.dateProperties ?? DEFAULT_DATE_PROPERTIES)
  }
}
