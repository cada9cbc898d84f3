/**
 * TypeBox schemas of the SPI customer object (CONTRACT.md §3). Every field is optional:
 * merchants choose which attributes their layouts collect. Objects accept unknown extra
 * fields, which pass through untouched so a mapping table can route them to the CRM.
 */
import { Type, type Static } from 'typebox'

const open = { additionalProperties: true } as const
const Str = Type.String()
const Bool = Type.Boolean()
const Num = Type.Number()
/** Epoch milliseconds (CONTRACT §6). */
const EpochMs = Type.Integer({ description: 'epoch milliseconds' })

export const AddressSchema = Type.Object(
  {
    addressId: Type.Optional(Str),
    firstName: Type.Optional(Str),
    lastName: Type.Optional(Str),
    addressLine1: Type.Optional(Str),
    addressLine2: Type.Optional(Str),
    city: Type.Optional(Str),
    state: Type.Optional(Str),
    postalCode: Type.Optional(Str),
    countryCode: Type.Optional(Str),
    phone: Type.Optional(Str),
    isDefault: Type.Optional(Bool)
  },
  open
)

export const ProfileSchema = Type.Object(
  {
    customerId: Type.Optional(Str),
    salutation: Type.Optional(Str),
    firstName: Type.Optional(Str),
    lastName: Type.Optional(Str),
    email: Type.Optional(Str),
    gender: Type.Optional(Str),
    phoneMobile: Type.Optional(Str),
    phoneHome: Type.Optional(Str),
    phone: Type.Optional(Str),
    birthday: Type.Optional(
      Type.Union([Str, EpochMs], {
        description: 'YYYY-MM-DD, --MM-DD or MM-DD (no year), or epoch ms; answered as YYYY-MM-DD or --MM-DD'
      })
    ),
    preferredLanguage: Type.Optional(Str),
    country: Type.Optional(Str),
    postalCode: Type.Optional(Str),
    customerGroup: Type.Optional(Str),
    loyaltyId: Type.Optional(Str),
    alternateCustomerId: Type.Optional(Str),
    allowSmsNotifications: Type.Optional(Bool),
    taxInfo: Type.Optional(Type.Object({ taxId: Type.Optional(Str) }, open)),
    address: Type.Optional(AddressSchema)
  },
  open
)

export const ConsentsSchema = Type.Object(
  {
    agreeToTC: Type.Optional(Bool),
    directMailSignUp: Type.Optional(Bool),
    eReceipt: Type.Optional(Bool),
    loyaltySignUp: Type.Optional(Bool),
    newsLetterSignUp: Type.Optional(Bool),
    phoneSignUp: Type.Optional(Bool),
    smsSignUp: Type.Optional(Bool)
  },
  open
)

export const TierSchema = Type.Object(
  {
    name: Type.Optional(Str),
    title: Type.Optional(Str),
    subTitle: Type.Optional(Str),
    startDate: Type.Optional(EpochMs),
    endDate: Type.Optional(EpochMs)
  },
  open
)

export const LoyaltyProfileSchema = Type.Object(
  {
    accountNumber: Type.Optional(Str),
    firstName: Type.Optional(Str),
    lastName: Type.Optional(Str),
    address: Type.Optional(AddressSchema),
    currentPoints: Type.Optional(Num),
    cashRewards: Type.Optional(Num),
    currentStoreCredit: Type.Optional(Num),
    currentTier: Type.Optional(TierSchema),
    customLoyaltyAttributes: Type.Optional(Type.Record(Type.String(), Type.Unknown()))
  },
  open
)

export const StoreAttributionSchema = Type.Object(
  { storeId: Type.Optional(Str), associateId: Type.Optional(Str) },
  open
)

const Summary = Type.Array(Type.Unknown())

/** The customer object as accepted in requests. */
export const CustomerSchema = Type.Object(
  {
    profile: Type.Optional(ProfileSchema),
    consents: Type.Optional(ConsentsSchema),
    loyaltyProfile: Type.Optional(LoyaltyProfileSchema),
    /** Legacy name of loyaltyProfile: accepted, never emitted. */
    customerLoyaltyProfile: Type.Optional(LoyaltyProfileSchema),
    storeAttribution: Type.Optional(StoreAttributionSchema),
    addressList: Type.Optional(Type.Array(AddressSchema)),
    orderCount: Type.Optional(Type.Integer({ minimum: 0 })),
    orderList: Type.Optional(Summary),
    cardList: Type.Optional(Summary),
    products: Type.Optional(Summary)
  },
  open
)

/** A request body: the customer wrapped as `{customer: …}` or bare (CONTRACT §2). */
export const CustomerBodySchema = Type.Union(
  [Type.Object({ customer: CustomerSchema }, open), CustomerSchema],
  { description: 'The customer object, wrapped as {"customer": {…}} or bare' }
)

export type Address = Static<typeof AddressSchema>
export type Profile = Static<typeof ProfileSchema>
export type Consents = Static<typeof ConsentsSchema>
export type LoyaltyProfile = Static<typeof LoyaltyProfileSchema>
export type Customer = Static<typeof CustomerSchema>

/** Search parameters the service understands (CONTRACT §4, SEARCH_CUSTOMERS). */
export const SEARCH_PARAMS = ['firstName', 'lastName', 'email', 'phone', 'customerId', 'loyaltyId'] as const
export type SearchParam = (typeof SEARCH_PARAMS)[number]
