// The one empty byte string of every decode (both item loops, #decode-item).
/**
 * The empty byte string every decode returns for `0x40`: frozen and shared, so a list of empty
 * byte strings costs one pointer per input byte instead of a typed-array view each. A view of
 * zero bytes has nothing to read or write, so sharing it is not observable through its contents.
 */
export const EMPTY_BYTES: Uint8Array = Object.freeze(new Uint8Array(0)) as Uint8Array
