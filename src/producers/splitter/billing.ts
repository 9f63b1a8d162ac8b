/**
 * What Kinesis bills for a record, in both capacity modes. Used for the manifest's
 * figures and the benchmark's comparison against one record per reading.
 */

/** Provisioned mode counts each record's payload in 25 KB chunks, rounded up (taken as KiB). */
export const PUT_PAYLOAD_UNIT_BYTES = 25 * 1024;
/** On-demand mode rounds each record up to the next 1 KB (taken as KiB). */
export const ON_DEMAND_BILLING_UNIT_BYTES = 1024;

/** The billed size of a record: its data and its partition key. */
export function recordPayloadBytes(dataBytes: number, partitionKey: string): number {
  return dataBytes + Buffer.byteLength(partitionKey);
}

export function putPayloadUnits(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / PUT_PAYLOAD_UNIT_BYTES));
}

export function onDemandBilledBytes(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / ON_DEMAND_BILLING_UNIT_BYTES)) * ON_DEMAND_BILLING_UNIT_BYTES;
}

/** Running totals of the billing figures of a set of records. */
export class BillingTally {
  records = 0;
  payloadBytes = 0;
  putPayloadUnits = 0;
  billedBytesOnDemand = 0;

  add(dataBytes: number, partitionKey: string): void {
    const payload = recordPayloadBytes(dataBytes, partitionKey);
    this.records += 1;
    this.payloadBytes += payload;
    this.putPayloadUnits += putPayloadUnits(payload);
    this.billedBytesOnDemand += onDemandBilledBytes(payload);
  }
}
