/**
 * The vendor guide's three scenarios (CONTRACT §8) as request/answer pairs, for the OpenAPI
 * document's examples. Written here as data because runtime code never reads test/: the pairs
 * are copied from test/fixtures/spi-examples/, which stays the source — a test
 * (test/spi/spi-values.test.ts) fails when the two differ.
 *
 * The pairs write ids as placeholders (`<assigned by the CRM>`); the document shows them with
 * the concrete values of EXAMPLE_VALUES, so that every example is valid against its schema.
 */
import type { Envelope } from './envelope.js'

export type JsonObject = { readonly [key: string]: unknown }

/** Each fixture file's content, by file name without `.json`. */
export const SCENARIO_PAIRS = {
  '1-create-with-loyalty.request': {
    customer: {
      profile: {
        salutation: 'Ms',
        firstName: 'Amelia',
        lastName: 'Okafor',
        email: 'amelia.okafor@example.com',
        phoneMobile: '+14155550142',
        birthday: '1990-04-17',
        preferredLanguage: 'en-US',
        address: {
          addressLine1: '500 Howard St',
          addressLine2: 'Apt 12',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94105',
          countryCode: 'US'
        }
      },
      consents: { agreeToTC: true, loyaltySignUp: true, eReceipt: true, newsLetterSignUp: false, smsSignUp: false },
      storeAttribution: { storeId: 'SF-UNION-SQ', associateId: 'A-1043' }
    }
  },
  '1-create-with-loyalty.response': {
    customer: {
      profile: {
        customerId: '<assigned by the CRM>',
        salutation: 'Ms',
        firstName: 'Amelia',
        lastName: 'Okafor',
        email: 'amelia.okafor@example.com',
        phoneMobile: '+14155550142',
        birthday: '1990-04-17',
        preferredLanguage: 'en-US',
        address: {
          addressLine1: '500 Howard St',
          addressLine2: 'Apt 12',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94105',
          countryCode: 'US'
        }
      },
      consents: { agreeToTC: true, loyaltySignUp: true, eReceipt: true, newsLetterSignUp: false, smsSignUp: false },
      loyaltyProfile: {
        accountNumber: '<assigned by the CRM or loyalty system>',
        firstName: 'Amelia',
        lastName: 'Okafor',
        address: {
          addressLine1: '500 Howard St',
          addressLine2: 'Apt 12',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94105',
          countryCode: 'US'
        }
      },
      addressList: [
        {
          addressLine1: '500 Howard St',
          addressLine2: 'Apt 12',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94105',
          countryCode: 'US'
        }
      ]
    }
  },
  '2-update-save-shipping-address.request': {
    customer: {
      profile: { customerId: '<id of Amelia>' },
      addressList: [
        {
          firstName: 'Amelia',
          lastName: 'Okafor',
          addressLine1: '1 Ferry Building',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94111',
          countryCode: 'US',
          phone: '+14155550142'
        }
      ]
    }
  },
  '2-update-save-shipping-address.response': {
    customer: {
      profile: {
        customerId: '<id of Amelia>',
        firstName: 'Amelia',
        lastName: 'Okafor',
        email: 'amelia.okafor@example.com',
        address: {
          addressLine1: '500 Howard St',
          addressLine2: 'Apt 12',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94105',
          countryCode: 'US'
        }
      },
      addressList: [
        {
          addressLine1: '500 Howard St',
          addressLine2: 'Apt 12',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94105',
          countryCode: 'US'
        },
        {
          firstName: 'Amelia',
          lastName: 'Okafor',
          addressLine1: '1 Ferry Building',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94111',
          countryCode: 'US',
          phone: '+14155550142'
        }
      ],
      _note: 'unchanged fields (consents, loyaltyProfile, …) are present too; abridged here'
    }
  },
  '3-update-profile-address.request': {
    customer: {
      profile: {
        customerId: '<id of Amelia>',
        address: {
          addressLine1: '2200 Mission St',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94110',
          countryCode: 'US'
        }
      }
    }
  },
  '3-update-profile-address.response': {
    customer: {
      profile: {
        customerId: '<id of Amelia>',
        firstName: 'Amelia',
        lastName: 'Okafor',
        address: {
          addressLine1: '2200 Mission St',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94110',
          countryCode: 'US'
        }
      },
      loyaltyProfile: {
        accountNumber: '<unchanged>',
        address: {
          addressLine1: '2200 Mission St',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94110',
          countryCode: 'US'
        }
      },
      addressList: [
        {
          addressLine1: '500 Howard St',
          addressLine2: 'Apt 12',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94105',
          countryCode: 'US'
        },
        {
          firstName: 'Amelia',
          lastName: 'Okafor',
          addressLine1: '1 Ferry Building',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94111',
          countryCode: 'US',
          phone: '+14155550142'
        },
        {
          addressLine1: '2200 Mission St',
          city: 'San Francisco',
          state: 'CA',
          postalCode: '94110',
          countryCode: 'US'
        }
      ],
      _note: 'unchanged fields are present too; abridged here'
    }
  }
} as const satisfies Record<string, JsonObject>

export type ScenarioName = '1-create-with-loyalty' | '2-update-save-shipping-address' | '3-update-profile-address'

/** The placeholders of the pairs and what the document shows instead. */
export const EXAMPLE_VALUES: Readonly<Record<string, string>> = {
  '<assigned by the CRM>': 'C00000001',
  '<id of Amelia>': 'C00000001',
  '<assigned by the CRM or loyalty system>': 'LY0000000001',
  '<unchanged>': 'LY0000000001'
}

/** The id the examples show (path parameters included). */
export const EXAMPLE_CUSTOMER_ID = 'C00000001'

const SUMMARIES: Readonly<Record<ScenarioName, string>> = {
  '1-create-with-loyalty': 'Scenario 1: sign up with loyalty',
  '2-update-save-shipping-address': 'Scenario 2: save a shipping address to the profile',
  '3-update-profile-address': 'Scenario 3: edit the profile address'
}

/** An OpenAPI 3.0 Example Object. */
export interface ExampleObject {
  readonly summary: string
  readonly description?: string
  readonly value: unknown
}

/** A copy with the placeholders replaced and the answers' `_note` (an abridgement) left out. */
function concrete(value: unknown): unknown {
  if (typeof value === 'string') return EXAMPLE_VALUES[value] ?? value
  if (Array.isArray(value)) return value.map(concrete)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== '_note').map(([k, v]) => [k, concrete(v)]))
}

function noteOf(pair: JsonObject): string | undefined {
  const customer = pair['customer'] as JsonObject | undefined
  const note = customer?.['_note']
  return typeof note === 'string' ? `${note.charAt(0).toUpperCase()}${note.slice(1)}.` : undefined
}

/** The customer inside a wrapped pair. */
function customerOf(value: unknown): unknown {
  return (value as { customer: unknown }).customer
}

/** A scenario's request, as the POS sends it (wrapped; the gateway accepts it bare too). */
export function requestExample(name: ScenarioName): ExampleObject {
  return { summary: SUMMARIES[name], value: concrete(SCENARIO_PAIRS[`${name}.request`]) }
}

/** A scenario's answer in the configured envelope. */
export function answerExample(name: ScenarioName, envelope: Envelope): ExampleObject {
  const pair: JsonObject = SCENARIO_PAIRS[`${name}.response`]
  const value = concrete(pair)
  const description = noteOf(pair)
  return { summary: SUMMARIES[name], ...(description ? { description } : {}), value: envelope === 'wrapped' ? value : customerOf(value) }
}

/** A search's answer holding a scenario's customer, in the configured envelope. */
export function searchAnswerExample(name: ScenarioName, envelope: Envelope): ExampleObject {
  const one = answerExample(name, envelope)
  const customer = envelope === 'wrapped' ? customerOf(one.value) : one.value
  return { ...one, summary: `Found: the customer as after ${one.summary}`, value: envelope === 'wrapped' ? { customers: [customer] } : [customer] }
}
