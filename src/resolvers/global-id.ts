// The id codec is domain logic (webhook-ids and operational events use it too); resolvers use it
// through this module so the GraphQL layer has one place that names it.
export { decodeId, encodeId, type IdType } from '../domains/public-ids.ts';
