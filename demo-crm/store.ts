/**
 * The demo CRM's persistence (API.md § Persistence): every contact lives in memory and in one
 * JSON data file, rewritten whole and atomically (temporary file, fsync, rename, by
 * write-file-atomic) after each change, so a crash mid-write leaves the previous readable file.
 *
 * Concurrency: a change is applied to memory synchronously (Node runs one handler step at a
 * time, so check-then-write sequences without an `await` in between cannot interleave) and
 * then persisted. Only one file write runs at a time; changes made while one runs are
 * coalesced into the next write, which snapshots the latest state. A caller's promise
 * resolves once a write containing its change is on disk. Last state wins; nothing is lost.
 * If a write fails (disk full), its callers get the error (500) while memory keeps their
 * change; the next successful write persists it.
 *
 * The file also holds the id counters, so ids are never reused after a restart.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import writeFileAtomic from 'write-file-atomic'
import type { Contact, IdSource } from './contact-rules.js'
import { isPlainObject } from './contact-rules.js'

const FORMAT = 'demo-crm/1'
const CONTACT_ID = /^C(\d{8})$/
const ACCT_NO = /^LY(\d{10})$/
const ADDR_ID = /^A(\d{6})$/

interface Counters {
  contact: number
  loyalty: number
  address: number
}

/** The data file could not be loaded. It is never overwritten in that case. */
export class DataFileError extends Error {
  readonly file: string
  constructor(file: string, reason: string, cause?: unknown) {
    super(`demo CRM data file ${file} cannot be loaded: ${reason}. It was left untouched; fix or move it.`, { cause })
    this.name = 'DataFileError'
    this.file = file
  }
}


/** The highest number matched by `pattern` among `values`, or 0. */
function highest(values: Iterable<unknown>, pattern: RegExp): number {
  let max = 0
  for (const v of values) {
    const m = typeof v === 'string' ? pattern.exec(v) : null
    if (m?.[1] !== undefined) max = Math.max(max, Number(m[1]))
  }
  return max
}

function* addressIds(contacts: readonly Contact[]): Generator<unknown> {
  for (const c of contacts) {
    if (Array.isArray(c.ADDRESSES)) for (const a of c.ADDRESSES) if (isPlainObject(a)) yield a.ADDR_ID
  }
}

function counterAt(file: string, counters: Record<string, unknown>, name: keyof Counters): number {
  const value = counters[name] ?? 0
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new DataFileError(file, `counters.${name} must be a non-negative integer`)
  }
  return value
}

/** Parses and checks the file's structure (not every field: seeded data is trusted). */
function parseDataFile(file: string, text: string): { contacts: Contact[]; counters: Counters } {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (err) {
    throw new DataFileError(file, `it is not valid JSON (${(err as Error).message})`, err)
  }
  if (!isPlainObject(data)) throw new DataFileError(file, 'the top level must be a JSON object')
  const list = data.contacts ?? []
  if (!Array.isArray(list)) throw new DataFileError(file, '"contacts" must be an array')
  const seen = new Set<string>()
  const contacts: Contact[] = list.map((c: unknown, i) => {
    if (!isPlainObject(c) || typeof c.CONTACT_ID !== 'string' || !CONTACT_ID.test(c.CONTACT_ID)) {
      throw new DataFileError(file, `contacts[${i}] is not an object with a CONTACT_ID like C00000001`)
    }
    if (seen.has(c.CONTACT_ID)) throw new DataFileError(file, `contacts[${i}] repeats ${c.CONTACT_ID}`)
    seen.add(c.CONTACT_ID)
    return c
  })
  const counters = data.counters ?? {}
  if (!isPlainObject(counters)) throw new DataFileError(file, '"counters" must be an object')
  // A hand-seeded file may carry no counters: continue after the highest id in use.
  return {
    contacts,
    counters: {
      contact: Math.max(counterAt(file, counters, 'contact'), highest(seen, CONTACT_ID)),
      loyalty: Math.max(
        counterAt(file, counters, 'loyalty'),
        highest(contacts.map((c) => (isPlainObject(c.LOYALTY) ? c.LOYALTY.ACCT_NO : undefined)), ACCT_NO)
      ),
      address: Math.max(counterAt(file, counters, 'address'), highest(addressIds(contacts), ADDR_ID))
    }
  }
}

export class ContactStore implements IdSource {
  readonly file: string
  private readonly contacts = new Map<string, Contact>()
  private readonly counters: Counters
  /** The file write running now, if any. */
  private inFlight: Promise<void> | undefined
  /** The write that will run after it, carrying every change made meanwhile. */
  private queued: Promise<void> | undefined

  private constructor(file: string, contacts: readonly Contact[], counters: Counters) {
    this.file = file
    this.counters = counters
    for (const c of contacts) this.contacts.set(c.CONTACT_ID as string, c)
  }

  /**
   * Loads `file`. A missing file is an empty CRM (created on the first write, directory
   * included); an unreadable or corrupt one throws a DataFileError naming it.
   */
  static async open(file: string): Promise<ContactStore> {
    let text: string | undefined
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new DataFileError(file, (err as Error).message, err)
      }
    }
    await mkdir(dirname(file), { recursive: true })
    if (text === undefined) return new ContactStore(file, [], { contact: 0, loyalty: 0, address: 0 })
    const { contacts, counters } = parseDataFile(file, text)
    return new ContactStore(file, contacts, counters)
  }

  /** A copy of the contact, or undefined. */
  get(id: string): Contact | undefined {
    const c = this.contacts.get(id)
    return c === undefined ? undefined : structuredClone(c)
  }

  /** Every stored contact, unordered. Read only: callers must not modify them. */
  all(): Iterable<Readonly<Contact>> {
    return this.contacts.values()
  }

  /** The id of the contact with that e-mail (case-insensitive), other than `exceptId`. */
  findByEmail(email: string, exceptId?: string): string | undefined {
    const wanted = email.toLowerCase()
    for (const [id, c] of this.contacts) {
      if (id !== exceptId && typeof c.EMAIL === 'string' && c.EMAIL.toLowerCase() === wanted) return id
    }
    return undefined
  }

  nextContactId(): string {
    return `C${String(++this.counters.contact).padStart(8, '0')}`
  }

  nextLoyaltyNo(): string {
    return `LY${String(++this.counters.loyalty).padStart(10, '0')}`
  }

  nextAddressId(): string {
    return `A${String(++this.counters.address).padStart(6, '0')}`
  }

  /**
   * Stores `contact` (a new or replaced one) in memory at once, and resolves when a file
   * write that includes it has completed.
   */
  save(contact: Contact): Promise<void> {
    this.contacts.set(contact.CONTACT_ID as string, structuredClone(contact))
    return this.persist()
  }

  /** Resolves when every change made so far is on disk. */
  async flush(): Promise<void> {
    await (this.queued ?? this.inFlight)
  }

  private persist(): Promise<void> {
    // A write that has not started yet will snapshot the state including this change.
    if (this.queued) return this.queued
    if (!this.inFlight) return this.startWrite()
    // A failed write must not block later ones: the next write carries the whole state anyway.
    this.queued = this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined
        return this.startWrite()
      })
    return this.queued
  }

  private startWrite(): Promise<void> {
    const snapshot = this.serialize()
    const write: Promise<void> = writeFileAtomic(this.file, snapshot, { fsync: true }).finally(() => {
      if (this.inFlight === write) this.inFlight = undefined
    })
    this.inFlight = write
    return write
  }

  private serialize(): string {
    const contacts = [...this.contacts.values()].sort((a, b) =>
      (a.CONTACT_ID as string) < (b.CONTACT_ID as string) ? -1 : 1
    )
    return `${JSON.stringify({ format: FORMAT, counters: this.counters, contacts }, null, 2)}\n`
  }
}
