import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
  type Attribute,
} from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLES, type KeyAttribute, type TableDefinition, type TableKey } from '../../src/shared/resources.ts';

export interface PipelineTablesProps {
  readonly key: IKey;
  /** @default RemovalPolicy.RETAIN (with deletion protection) */
  readonly removalPolicy?: RemovalPolicy | undefined;
}

const ATTRIBUTE_TYPE = { S: AttributeType.STRING, N: AttributeType.NUMBER } as const;

function attribute(k: KeyAttribute): Attribute {
  return { name: k.name, type: ATTRIBUTE_TYPE[k.type] };
}

/**
 * Every table of `TABLES`, exactly as defined there (names, keys, indexes, TTL): the
 * embedded bootstrap creates the same ones. On-demand, point-in-time recovery, the
 * data key.
 */
export class PipelineTables extends Construct {
  readonly tables: { readonly [K in TableKey]: Table };

  constructor(scope: Construct, id: string, props: PipelineTablesProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const build = (def: TableDefinition): Table => {
      const table = new Table(this, def.id, {
        tableName: def.tableName,
        partitionKey: attribute(def.partitionKey),
        ...(def.sortKey ? { sortKey: attribute(def.sortKey) } : {}),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: props.key,
        ...(def.ttlAttribute ? { timeToLiveAttribute: def.ttlAttribute } : {}),
        deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
        removalPolicy,
      });
      for (const index of def.globalIndexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: index.indexName,
          partitionKey: attribute(index.partitionKey),
          ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
          // As the embedded bootstrap creates them: the items are small, and every query reads whole items.
          projectionType: ProjectionType.ALL,
        });
      }
      return table;
    };
    this.tables = Object.fromEntries((Object.keys(TABLES) as TableKey[]).map((key) => [key, build(TABLES[key])])) as {
      [K in TableKey]: Table;
    };
  }
}
