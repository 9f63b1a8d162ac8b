/** Reads whole tables of the embedded stack, for assertions. */
import { paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export async function scanAll<T = Record<string, unknown>>(doc: DynamoDBDocumentClient, table: string): Promise<T[]> {
  const out: T[] = [];
  for await (const page of paginateScan({ client: doc }, { TableName: table }))
    out.push(...((page.Items ?? []) as T[]));
  return out;
}
