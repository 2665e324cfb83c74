// @rsky/labeler: A labeler service: labels stored durably, subscribeLabels and queryLabels served over XRPC.
export const PACKAGE_NAME = '@rsky/labeler'
