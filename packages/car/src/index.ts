// @rsky/car: streaming CAR v1 reader and writer with every block hash-checked, and CID-keyed block maps.

// scanCar: scan.ts's everywhere but in browsers, which get scan-car.browser.ts (smaller)
export { scanCar } from '#scan-car'
export { BlockMap, type BlocksAndMissing, bytesEqual, CidSet } from './block-map.ts'
export { cidBytesKey, cidMapKey } from './cid-key.ts'
export {
  CarBlockHashMismatchError,
  CarError,
  type CarErrorCode,
  CarInvalidHeaderError,
  CarInvalidSectionError,
  type CarLimit,
  CarLimitExceededError,
  type CarPart,
  CarTrailingDataError,
  CarTruncatedError,
  CarUnsupportedCidError,
  CarVarintError,
} from './errors.ts'
export {
  type CarContents,
  type CarIterator,
  type CarWithRoot,
  iterateCar,
  readCar,
  readCarWithRoot,
} from './reader.ts'
export { decodeCarHeader } from './scan.ts'
export {
  type CarBlockVisitor,
  type CarSource,
  type CarStreamReader,
  carSourceChunks,
  readCarStream,
} from './stream.ts'
export { CAR_READ_DEFAULTS, type CarBlock, type CarHeader, type CarReadOptions } from './types.ts'
export {
  type CarBlocks,
  type CarWriteStreamOptions,
  encodeCarHeader,
  writeCar,
  writeCarStream,
} from './writer.ts'
