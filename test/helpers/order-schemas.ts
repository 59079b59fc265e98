/** The Avro order schema the schema'd-format tests of both API versions write with. */
export const ORDER_AVRO = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'test.orders',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'quantity', type: 'int' },
    { name: 'total', type: 'long' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
});
