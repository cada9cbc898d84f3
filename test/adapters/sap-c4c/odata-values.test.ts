/** adapters/sap-c4c/odata-values.ts: literals, /Date(ms)/ both ways, the query string. */
import t from 'tap'
import { fromODataDate, keyPredicate, queryString, stringLiteral, toODataDate } from '../../../adapters/sap-c4c/odata-values.js'

t.test('Edm.String literals double their quotes', async (t) => {
  t.equal(stringLiteral("O'Brien"), "'O''Brien'")
  t.equal(stringLiteral(''), "''")
})

t.test('/Date(ms)/ ⇄ YYYY-MM-DD, as UTC days', async (t) => {
  t.equal(toODataDate('2017-04-17'), '/Date(1492387200000)/')
  t.equal(fromODataDate('/Date(1492387200000)/'), '2017-04-17')
  t.equal(fromODataDate('/Date(-86400000)/'), '1969-12-31', 'before 1970')
  t.equal(fromODataDate('/Date(1492387200000+0000)/'), '2017-04-17', 'with an offset')
  t.equal(toODataDate('2021-02-30'), undefined, 'a day that does not exist')
  t.equal(toODataDate('04/17/2017'), undefined)
  t.equal(fromODataDate('2017-04-17'), undefined)
  t.equal(fromODataDate(1492387200000), undefined)
})

t.test('query values percent-encoded: nothing in a value changes the query', async (t) => {
  const qs = queryString([['$filter', "LastName eq 'A&B #1 100% a+b/c'"], ['$top', '5']])
  t.equal(qs, "$filter=LastName%20eq%20'A%26B%20%231%20100%25%20a%2Bb%2Fc'&$top=5")
  t.equal(keyPredicate('00163E03A0701ED28A8644CF8D83AE76'), "('00163E03A0701ED28A8644CF8D83AE76')")
  t.equal(keyPredicate("a'/b"), "('a''%2Fb')")
})
