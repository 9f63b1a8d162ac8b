import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/project.ts';
import { DataKey } from '../../infra/constructs/encryption.ts';
import { LakeCatalog } from '../../infra/constructs/lake.ts';
import { EVENT_FIELDS } from '../../src/shared/event.ts';
import {
  ALERTS_COLUMNS,
  ASSETS_COLUMNS,
  ATHENA_ENGINE_VERSION,
  READINGS_COLUMNS,
  readingsTableParameters,
} from '../../src/shared/glue.ts';
import { NAMED_QUERIES } from '../../src/shared/queries.ts';
import { ATHENA, GLUE, PREFIXES } from '../../src/shared/resources.ts';

const BUCKET = 'dubegrid-123456789012-eu-west-2';

function synth(): Template {
  const stack = new Stack(new App({ context: cdkJsonContext(), builtinCloudFormationValidation: false }), 'Test', {
    env: { account: '123456789012', region: 'eu-west-2' },
  });
  const { key } = new DataKey(stack, 'Key');
  new LakeCatalog(stack, 'Lake', { bucketName: BUCKET, key, scanLimitBytes: 10 * 1024 ** 3 });
  return Template.fromStack(stack);
}

const tableInput = (template: Template, name: string) =>
  Object.values(template.findResources('AWS::Glue::Table')).find((t) => t.Properties.TableInput.Name === name)
    ?.Properties;

describe('LakeCatalog', () => {
  const template = synth();

  it('creates the shared Glue database', () => {
    template.hasResourceProperties('AWS::Glue::Database', {
      CatalogId: '123456789012',
      DatabaseInput: { Name: GLUE.databaseName },
    });
  });

  it('defines the Parquet table column by column from the contract: ts timestamp, value double, v and source_line int, the rest string', () => {
    const table = tableInput(template, GLUE.tableName);
    const columns = table?.TableInput.StorageDescriptor.Columns as { Name: string; Type: string }[];
    expect(columns.map((c) => c.Name)).toEqual([...EVENT_FIELDS]);
    const expected: Record<string, string> = { ts: 'timestamp', value: 'double', v: 'int', source_line: 'int' };
    for (const c of columns) expect(c.Type).toBe(expected[c.Name] ?? 'string');
    expect(columns).toEqual(READINGS_COLUMNS.map((c) => ({ Name: c.name, Type: c.type })));
  });

  it('partitions by y/m/d with projection over the processed/ zone: no crawler, no MSCK REPAIR', () => {
    const table = tableInput(template, GLUE.tableName);
    expect(table?.TableInput.PartitionKeys).toEqual([
      { Name: 'y', Type: 'string' },
      { Name: 'm', Type: 'string' },
      { Name: 'd', Type: 'string' },
    ]);
    expect(table?.TableInput.Parameters).toEqual(readingsTableParameters(BUCKET));
    expect(table?.TableInput.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.m.digits': '2',
      'projection.d.digits': '2',
      'storage.location.template': `s3://${BUCKET}/${PREFIXES.processed}y=\${y}/m=\${m}/d=\${d}/`,
    });
    expect(table?.TableInput.StorageDescriptor).toMatchObject({
      Location: `s3://${BUCKET}/${PREFIXES.processed}`,
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
    });
    template.resourceCountIs('AWS::Glue::Crawler', 0);
  });

  it('adds the deduplicating view (after the table) and the registry table', () => {
    const views = template.findResources('AWS::Glue::Table', { Properties: { TableInput: { Name: GLUE.viewName } } });
    const [view] = Object.values(views);
    expect(view?.Properties.TableInput.TableType).toBe('VIRTUAL_VIEW');
    expect(view?.DependsOn).toEqual([expect.stringMatching(/^LakeReadingsTable/)]);
    const assets = tableInput(template, GLUE.assetsTableName);
    expect(assets?.TableInput.StorageDescriptor.Location).toBe(`s3://${BUCKET}/${PREFIXES.referenceAssets}`);
    expect(assets?.TableInput.StorageDescriptor.Columns).toEqual(
      ASSETS_COLUMNS.map((c) => ({ Name: c.name, Type: c.type })),
    );
  });

  it("adds the alerts table: JSON notifications under processed/alerts/, projected by their incident's opening day", () => {
    const alerts = tableInput(template, GLUE.alertsTableName);
    expect(alerts?.TableInput.StorageDescriptor).toMatchObject({
      Location: `s3://${BUCKET}/${PREFIXES.processedAlerts}`,
      SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
    });
    expect(alerts?.TableInput.StorageDescriptor.Columns).toEqual(
      ALERTS_COLUMNS.map((c) => ({ Name: c.name, Type: c.type })),
    );
    expect(alerts?.TableInput.PartitionKeys.map((k: { Name: string }) => k.Name)).toEqual(['y', 'm', 'd']);
    expect(alerts?.TableInput.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'storage.location.template': `s3://${BUCKET}/${PREFIXES.processedAlerts}y=\${y}/m=\${m}/d=\${d}/`,
    });
  });

  it('has a workgroup whose result location and KMS encryption clients cannot override', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: ATHENA.workgroup,
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        EngineVersion: { SelectedEngineVersion: ATHENA_ENGINE_VERSION },
        ResultConfiguration: {
          OutputLocation: `s3://${BUCKET}/${PREFIXES.athenaResults}`,
          EncryptionConfiguration: {
            EncryptionOption: 'SSE_KMS',
            KmsKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
          },
        },
      },
    });
  });

  it('registers every shared named query with its SQL, in the workgroup and database', () => {
    const queries = Object.values(template.findResources('AWS::Athena::NamedQuery')).map((q) => q.Properties);
    expect(queries.map((q) => q.Name).sort()).toEqual(Object.keys(NAMED_QUERIES).sort());
    for (const q of Object.values(NAMED_QUERIES)) {
      const registered = queries.find((r) => r.Name === q.name);
      expect(registered?.QueryString).toBe(q.sql);
      expect(registered?.WorkGroup).toEqual({ Ref: expect.stringMatching(/^LakeWorkGroup/) });
      expect(registered?.Database).toEqual({ Ref: expect.stringMatching(/^LakeDatabase/) });
      for (const p of q.parameters) expect(registered?.Description).toContain(p.name);
    }
  });
});
