/**
 * TypeBox schemas of the SPI customer object (CONTRACT.md §3), for requests and for answers —
 * they differ where the contract does. Requests: every field optional (merchants choose which
 * attributes their layouts collect), `null` accepted anywhere a value is (it means "ignore";
 * the routes drop it before validation, so `nullable` documents what is accepted), every text
 * bounded by a `maxLength` (beyond it: 400 INVALID_REQUEST naming the field, reason tooLong),
 * and the write-only `storeAttribution` and legacy `customerLoyaltyProfile` accepted. Answers:
 * no null, no write-only or legacy field, `profile.customerId` always there; texts unbounded,
 * since they are the CRM's data. Objects accept unknown extra fields on both sides: they pass
 * through untouched so a mapping table can route them to the CRM and back.
 */
import { Type, type Static, type TProperties, type TSchema } from 'typebox'

/** The longest text each kind of SPI field may be, in characters (CONTRACT §3, "Limits"). */
export const MAX_LENGTH = {
  /** Customer, address, loyalty account, store and associate ids (assertCustomerId: 128). */
  id: 128,
  /** Names, salutation, address lines, city, state, tier names. */
  name: 255,
  /** RFC 5321: a forward-path holds at most 254 characters of address. */
  email: 254,
  /** E.164 is 15 digits; formatting and an extension fit in 32. */
  phone: 32,
  /** Postal codes, tax ids, birthdays as text. */
  short: 32,
  /** Gender, language tags, country names and codes, customer groups. */
  code: 64
} as const

/**
 * A customer id, as assertCustomerId (core/customer-service.ts) admits it: 1 to 128 of
 * `A-Z a-z 0-9 . _ ~ : @ -`, not dots alone (`.` and `..` are path segments, not ids).
 * Written without look-around so that every tool's regex engine reads it.
 */
export const CUSTOMER_ID_PATTERN = '^[A-Za-z0-9._~:@-]*[A-Za-z0-9_~:@-][A-Za-z0-9._~:@-]*$'

/** A customer id as the routes document and check it (path parameter, update body). */
export function customerIdSchema(description: string, options: { readonly examples?: readonly string[] } = {}) {
  return Type.String({ minLength: 1, maxLength: MAX_LENGTH.id, pattern: CUSTOMER_ID_PATTERN, description, ...options })
}

const open = { additionalProperties: true } as const
type Side = 'request' | 'answer'

/** Schema options for one side: requests accept `null` and bound texts; answers do neither. */
function sideOptions(side: Side, maxLength: number | undefined, description: string | undefined): Record<string, unknown> {
  return {
    ...(side === 'request' ? { nullable: true, ...(maxLength === undefined ? {} : { maxLength }) } : {}),
    ...(description === undefined ? {} : { description })
  }
}

/** The customer's parts for one side; `customerId` is the caller's, it differs per operation. */
function parts(side: Side) {
  const text = (maxLength: number, description?: string) => Type.String(sideOptions(side, maxLength, description))
  const bool = (description?: string) => Type.Boolean(sideOptions(side, undefined, description))
  const num = (description?: string) => Type.Number(sideOptions(side, undefined, description))
  const epochMs = () => Type.Integer(sideOptions(side, undefined, 'epoch milliseconds'))
  const obj = <P extends TProperties>(properties: P, description?: string) =>
    Type.Object(properties, { ...open, ...sideOptions(side, undefined, description) })
  const list = <S extends TSchema>(items: S, description?: string) => Type.Array(items, sideOptions(side, undefined, description))

  const Address = obj(
    {
      addressId: Type.Optional(text(MAX_LENGTH.id, "the CRM's id of the address")),
      firstName: Type.Optional(text(MAX_LENGTH.name)),
      lastName: Type.Optional(text(MAX_LENGTH.name)),
      addressLine1: Type.Optional(text(MAX_LENGTH.name)),
      addressLine2: Type.Optional(text(MAX_LENGTH.name)),
      city: Type.Optional(text(MAX_LENGTH.name)),
      state: Type.Optional(text(MAX_LENGTH.name)),
      postalCode: Type.Optional(text(MAX_LENGTH.short)),
      countryCode: Type.Optional(text(MAX_LENGTH.code, 'e.g. US')),
      phone: Type.Optional(text(MAX_LENGTH.phone)),
      isDefault: Type.Optional(bool())
    },
    'An address: a unit, replaced whole when sent'
  )

  const birthdayDoc = 'YYYY-MM-DD, --MM-DD or MM-DD (no year), or epoch ms; answered as YYYY-MM-DD or --MM-DD'
  const profile = {
    salutation: Type.Optional(text(MAX_LENGTH.name)),
    firstName: Type.Optional(text(MAX_LENGTH.name)),
    lastName: Type.Optional(text(MAX_LENGTH.name)),
    email: Type.Optional(
      text(MAX_LENGTH.email, 'an e-mail address as the POS typed it (the contract types it as text: its form is not checked)')
    ),
    gender: Type.Optional(text(MAX_LENGTH.code)),
    phoneMobile: Type.Optional(text(MAX_LENGTH.phone)),
    phoneHome: Type.Optional(text(MAX_LENGTH.phone)),
    phone: Type.Optional(text(MAX_LENGTH.phone)),
    birthday: Type.Optional(
      side === 'request'
        ? // `nullable` needs a `type` beside it (OpenAPI 3.0, Ajv): it sits on a member, not on the union.
          Type.Union([Type.String({ maxLength: MAX_LENGTH.short, nullable: true }), Type.Integer({ description: 'epoch milliseconds' })], {
            description: birthdayDoc
          })
        : Type.String({ description: birthdayDoc })
    ),
    preferredLanguage: Type.Optional(text(MAX_LENGTH.code, 'e.g. en-US')),
    country: Type.Optional(text(MAX_LENGTH.code)),
    postalCode: Type.Optional(text(MAX_LENGTH.short)),
    customerGroup: Type.Optional(text(MAX_LENGTH.code)),
    loyaltyId: Type.Optional(text(MAX_LENGTH.id)),
    alternateCustomerId: Type.Optional(text(MAX_LENGTH.id)),
    allowSmsNotifications: Type.Optional(bool()),
    taxInfo: Type.Optional(obj({ taxId: Type.Optional(text(MAX_LENGTH.short)) })),
    address: Type.Optional(Address)
  }

  const Consents = obj({
    agreeToTC: Type.Optional(bool()),
    directMailSignUp: Type.Optional(bool()),
    eReceipt: Type.Optional(bool()),
    loyaltySignUp: Type.Optional(bool('true: the customer joins the loyalty programme (and gets a loyalty profile)')),
    newsLetterSignUp: Type.Optional(bool()),
    phoneSignUp: Type.Optional(bool()),
    smsSignUp: Type.Optional(bool())
  })

  const Tier = obj({
    name: Type.Optional(text(MAX_LENGTH.name)),
    title: Type.Optional(text(MAX_LENGTH.name)),
    subTitle: Type.Optional(text(MAX_LENGTH.name)),
    startDate: Type.Optional(epochMs()),
    endDate: Type.Optional(epochMs())
  })

  const LoyaltyProfile = obj({
    accountNumber: Type.Optional(text(MAX_LENGTH.id)),
    firstName: Type.Optional(text(MAX_LENGTH.name)),
    lastName: Type.Optional(text(MAX_LENGTH.name)),
    address: Type.Optional(Address),
    currentPoints: Type.Optional(num()),
    cashRewards: Type.Optional(num()),
    currentStoreCredit: Type.Optional(num()),
    currentTier: Type.Optional(Tier),
    customLoyaltyAttributes: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { ...sideOptions(side, undefined, 'free-form names and values') }))
  })

  const readOnly = side === 'request' ? ' (read-only: ignored in requests)' : ''
  const summaries = {
    orderCount: Type.Optional(Type.Integer({ minimum: 0, ...sideOptions(side, undefined, `orders the CRM knows of${readOnly}`) })),
    orderList: Type.Optional(list(Type.Unknown(), `order summaries${readOnly}`)),
    cardList: Type.Optional(list(Type.Unknown(), `card summaries${readOnly}`)),
    products: Type.Optional(list(Type.Unknown(), `product summaries${readOnly}`))
  }

  return { text, obj, Address, profile, Consents, Tier, LoyaltyProfile, summaries }
}

const R = parts('request')
const A = parts('answer')

export const AddressSchema = R.Address
export const ConsentsSchema = R.Consents
export const TierSchema = R.Tier
export const LoyaltyProfileSchema = R.LoyaltyProfile

/** A request's profile; its customerId is ignored by a create (the CRM assigns the id). */
export const ProfileSchema = R.obj({
  customerId: Type.Optional(R.text(MAX_LENGTH.id, "the CRM's id of the customer")),
  ...R.profile
})

export const StoreAttributionSchema = R.obj(
  { storeId: Type.Optional(R.text(MAX_LENGTH.id)), associateId: Type.Optional(R.text(MAX_LENGTH.id)) },
  'who signed up or served the customer: passed to the CRM where the mapping table maps it, never answered'
)

const requestFields = {
  consents: Type.Optional(ConsentsSchema),
  loyaltyProfile: Type.Optional(LoyaltyProfileSchema),
  /** Legacy name of loyaltyProfile: accepted, never emitted. */
  customerLoyaltyProfile: Type.Optional(
    Type.Object(LoyaltyProfileSchema.properties, {
      ...open,
      nullable: true,
      description: 'the legacy name of loyaltyProfile (older POS versions): read as loyaltyProfile, never answered'
    })
  ),
  storeAttribution: Type.Optional(StoreAttributionSchema),
  addressList: Type.Optional(Type.Array(AddressSchema, { nullable: true, description: 'addresses to save (added to the saved ones)' })),
  ...R.summaries
}

/** The customer object as accepted in requests (a create's; see customerRequestSchema). */
export const CustomerSchema = Type.Object({ profile: Type.Optional(ProfileSchema), ...requestFields }, open)

/**
 * The request customer of one operation. A create ignores `profile.customerId`; an update
 * by body requires it (the customer to change); an update by path takes it optionally, equal
 * to the path's. The static type is CustomerSchema's: only the id's constraints differ.
 */
export function customerRequestSchema(operation: 'create' | 'update' | 'updateByPath'): typeof CustomerSchema {
  if (operation === 'create') return CustomerSchema
  const profileFields = { ...ProfileSchema.properties }
  if (operation === 'update') {
    const profile = Type.Object(
      { customerId: customerIdSchema('the id of the customer to change'), ...R.profile },
      { ...open, description: 'the profile; customerId says which customer' }
    )
    return Type.Object({ profile, ...requestFields }, open) as unknown as typeof CustomerSchema
  }
  const profile = R.obj({
    ...profileFields,
    customerId: Type.Optional(customerIdSchema('optional; when sent, equal to the path’s customerId'))
  })
  return Type.Object({ profile: Type.Optional(profile), ...requestFields }, open)
}

/** The customer object as answered: its id always, never null, nothing write-only or legacy. */
export const CustomerAnswerSchema = Type.Object(
  {
    profile: A.obj({ customerId: Type.String({ description: "the CRM's id of the customer" }), ...A.profile }),
    consents: Type.Optional(A.Consents),
    loyaltyProfile: Type.Optional(A.LoyaltyProfile),
    addressList: Type.Optional(Type.Array(A.Address, { description: 'every saved address' })),
    ...A.summaries
  },
  { ...open, description: 'The customer as the CRM holds it; absent and cleared fields are left out' }
)

export type Address = Static<typeof AddressSchema>
export type Profile = Static<typeof ProfileSchema>
export type Consents = Static<typeof ConsentsSchema>
export type LoyaltyProfile = Static<typeof LoyaltyProfileSchema>
export type Customer = Static<typeof CustomerSchema>

/** Search parameters the service understands (CONTRACT §4, SEARCH_CUSTOMERS). */
export const SEARCH_PARAMS = ['firstName', 'lastName', 'email', 'phone', 'customerId', 'loyaltyId'] as const
export type SearchParam = (typeof SEARCH_PARAMS)[number]

/** The longest value of each search parameter: the field it is compared with. */
export const SEARCH_PARAM_MAX_LENGTH: Readonly<Record<SearchParam, number>> = {
  firstName: MAX_LENGTH.name,
  lastName: MAX_LENGTH.name,
  email: MAX_LENGTH.email,
  phone: MAX_LENGTH.phone,
  customerId: MAX_LENGTH.id,
  loyaltyId: MAX_LENGTH.id
}
