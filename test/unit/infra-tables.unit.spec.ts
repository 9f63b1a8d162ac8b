import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/project.ts';
import { DataKey } from '../../infra/constructs/encryption.ts';
import { PipelineTables } from '../../infra/constructs/tables.ts';
import { TABLES, type TableDefinition } from '../../src/shared/resources.ts';

function synth(removalPolicy?: RemovalPolicy): Template {
  const stack = new Stack(new App({ context: cdkJsonContext(), builtinCloudFormationValidation: false }), 'Test');
  const { key } = new DataKey(stack, 'Key');
  new PipelineTables(stack, 'Tables', { key, removalPolicy });
  return Template.fromStack(stack);
}

const keySchema = (pk: { name: string }, sk?: { name: string }) => [
  { AttributeName: pk.name, KeyType: 'HASH' },
  ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' }] : []),
];

describe('PipelineTables', () => {
  const template = synth();

  it('creates exactly the tables of TABLES', () => {
    const names = Object.values(template.findResources('AWS::DynamoDB::Table')).map(
      (t) => t.Properties.TableName as string,
    );
    expect(names.sort()).toEqual(
      Object.values(TABLES)
        .map((t) => t.tableName)
        .sort(),
    );
  });

  it.each(Object.values(TABLES) as TableDefinition[])(
    '$tableName: keys, indexes and TTL as defined; on-demand, PITR, the data key',
    (def) => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: def.tableName,
        KeySchema: keySchema(def.partitionKey, def.sortKey),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
        },
        TimeToLiveSpecification: def.ttlAttribute ? { AttributeName: def.ttlAttribute, Enabled: true } : Match.absent(),
        GlobalSecondaryIndexes: def.globalIndexes
          ? def.globalIndexes.map((i) => ({
              IndexName: i.indexName,
              KeySchema: keySchema(i.partitionKey, i.sortKey),
              Projection: { ProjectionType: 'ALL' },
            }))
          : Match.absent(),
        DeletionProtectionEnabled: true,
      });
    },
  );

  it('keeps the tables when the stack is deleted, unless told to destroy them', () => {
    for (const table of Object.values(template.findResources('AWS::DynamoDB::Table')))
      expect(table.DeletionPolicy).toBe('Retain');
    const destroyed = synth(RemovalPolicy.DESTROY);
    for (const table of Object.values(destroyed.findResources('AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
  });
});
