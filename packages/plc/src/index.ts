// @rsky/plc: did:plc operations: build, sign and validate operations and audit logs, a PLC directory client.
export const PACKAGE_NAME = '@rsky/plc'
