// @rsky/label: AT Protocol labels: codec, canonical signing bytes, sign, verify (with key rotation), label state.
export const PACKAGE_NAME = '@rsky/label'
