/**
 * The search checks every end-to-end path runs once Amelia (scenario 1) and Amos Okoye exist:
 * each SPI search parameter and their combination, as the POS sends them (CONTRACT §4).
 * `search` answers the first names found for a query string.
 */
interface Assert {
  same(found: unknown, wanted: unknown, message: string): unknown
}

export async function expectSearchByEveryParameter(
  t: Assert,
  search: (qs: string) => Promise<string[]>,
  amelia: { readonly customerId: string; readonly loyaltyId: string }
): Promise<void> {
  t.same(await search('firstName=ame'), ['Amelia'], 'firstName prefix')
  t.same(await search('lastName=OK'), ['Amelia', 'Amos'], 'lastName prefix, case-insensitive')
  t.same(await search('email=AMELIA.OKAFOR@example.com'), ['Amelia'], 'email exact, case-insensitive')
  t.same(await search('phone=(415) 555-0142'), ['Amelia'], 'phone, formatting ignored')
  t.same(await search(`loyaltyId=${amelia.loyaltyId}`), ['Amelia'], 'loyaltyId')
  t.same(await search(`customerId=${amelia.customerId}`), ['Amelia'], 'customerId')
  t.same(await search('lastName=ok&firstName=amo'), ['Amos'], 'AND')
  t.same(await search('lastName=ok&limit=1&offset=1'), ['Amos'], 'paging')
}
