/** adapters/sap-c4c/metadata.ts: the table's properties against $metadata. */
import t from 'tap'
import type { CrmFieldUse } from '../../../src/core/port.js'
import { compareFields, entityProperties } from '../../../adapters/sap-c4c/metadata.js'

const XML = `<?xml version="1.0"?><edmx:Edmx><edmx:DataServices><Schema Namespace="c4codataapi">
<EntityType Name="IndividualCustomerAddress"><Property Name="Street" Type="Edm.String"/></EntityType>
<EntityType Name="IndividualCustomer"><Key><PropertyRef Name="ObjectID"/></Key>
<Property Name="ObjectID" Type="Edm.String" sap:creatable="false" sap:updatable="false"/>
<Property Name="FirstName" Type="Edm.String" MaxLength="40" sap:creatable="true" sap:updatable="true"/>
<Property Name="BirthDate" Type="Edm.DateTime"/>
<Property Name="ConsentTerms_KUT" Type="Edm.String"/>
<NavigationProperty Name="IndividualCustomerAddress" Relationship="x" FromRole="a" ToRole="b"/>
</EntityType></Schema></edmx:DataServices></edmx:Edmx>`

const use = (name: string, kind: CrmFieldUse['kind'], write = true): CrmFieldUse => ({ name, kind, read: true, write, search: false, unique: false, spi: 'x' })

t.test('reads the one entity type: properties, types, writability, navigation', async (t) => {
  const props = entityProperties(XML)
  t.same(props?.get('FirstName'), { name: 'FirstName', type: 'Edm.String', writable: true })
  t.same(props?.get('ObjectID'), { name: 'ObjectID', type: 'Edm.String', writable: false })
  t.same(props?.get('IndividualCustomerAddress'), { name: 'IndividualCustomerAddress', type: 'navigation', writable: true })
  t.notOk(props?.has('Street'), "another entity type's properties are not its")
  t.equal(entityProperties('<Schema/>'), undefined)
})

t.test('names what is missing, read-only or of another type', async (t) => {
  const props = entityProperties(XML) ?? new Map()
  const report = compareFields(
    [use('FirstName', 'text'), use('ObjectID', 'text', false), use('ObjectID', 'text'), use('BirthDate', 'date'), use('ConsentTerms_KUT', 'boolean'), use('LoyaltyPoints_KUT', 'number'), use('IndividualCustomerAddress', 'long-text')],
    props,
    new Set(['BirthDate'])
  )
  t.same(report.missing, ['LoyaltyPoints_KUT'])
  t.same(report.mismatched, [
    { name: 'ObjectID', expected: 'a creatable or updatable property', actual: 'read-only' },
    { name: 'ConsentTerms_KUT', expected: 'Edm.Boolean', actual: 'Edm.String' }
  ])
  t.same(report.fitting, ['FirstName', 'ObjectID', 'BirthDate', 'IndividualCustomerAddress'])
  const unconverted = compareFields([use('BirthDate', 'date')], props, new Set())
  t.same(unconverted.mismatched, [{ name: 'BirthDate', expected: 'Edm.String', actual: 'Edm.DateTime' }], 'a date the adapter does not convert must be text')
})
