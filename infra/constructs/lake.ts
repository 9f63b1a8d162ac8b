import { Stack } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  ATHENA_ENGINE_VERSION,
  alertsTableInput,
  assetsTableInput,
  readingsTableInput,
  readingsViewTableInput,
  FACT_TABLE_KINDS,
  factTableInput,
  type FactTable,
  type GlueTableInput,
} from '../../src/shared/glue.ts';
import { NAMED_QUERIES } from '../../src/shared/queries.ts';
import { ATHENA, GLUE, PREFIXES } from '../../src/shared/resources.ts';

export interface LakeCatalogProps {
  /** The data bucket's physical name. */
  readonly bucketName: string;
  /** Encrypts query results. */
  readonly key: IKey;
  /** Bytes one query may scan before Athena cancels it. */
  readonly scanLimitBytes: number;
}

/**
 * The lake's catalogue and SQL entry point, all from `src/shared/glue.ts` and
 * `src/shared/queries.ts`: the Glue database; the Parquet table Firehose writes
 * (partition projection over y/m/d — no crawler, no MSCK REPAIR), the deduplicating
 * view every query reads, the registry table; an Athena workgroup whose result
 * location and encryption cannot be overridden by a client; the named queries.
 */
export class LakeCatalog extends Construct {
  readonly database: CfnDatabase;
  readonly readingsTable: CfnTable;
  readonly workGroup: CfnWorkGroup;
  readonly namedQueries: readonly CfnNamedQuery[];

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    this.database = new CfnDatabase(this, 'Database', {
      catalogId,
      databaseInput: {
        name: GLUE.databaseName,
        description: 'DubeGrid reading events (Parquet lake) and asset registry',
      },
    });
    const table = (cid: string, input: GlueTableInput): CfnTable =>
      new CfnTable(this, cid, { catalogId, databaseName: this.database.ref, tableInput: cfnTableInput(input) });
    this.readingsTable = table('ReadingsTable', readingsTableInput(props.bucketName));
    // The view reads the table: create it after, delete it before.
    table('ReadingsView', readingsViewTableInput()).node.addDependency(this.readingsTable);
    table('AssetsTable', assetsTableInput(props.bucketName));
    table('AlertsTable', alertsTableInput(props.bucketName));
    // the fact layer: readings_hourly, readings_daily, asset_intervals_daily, asset_gaps_daily
    for (const kind of FACT_TABLE_KINDS) table(FACT_TABLE_IDS[kind], factTableInput(props.bucketName, kind));

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: ATHENA.workgroup,
      description: 'DubeGrid queries: results encrypted under athena-results/ of the data bucket',
      state: 'ENABLED',
      // Lets the stack delete the workgroup although queries have run in it.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.scanLimitBytes,
        engineVersion: { selectedEngineVersion: ATHENA_ENGINE_VERSION },
        resultConfiguration: {
          outputLocation: `s3://${props.bucketName}/${PREFIXES.athenaResults}`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.key.keyArn },
        },
      },
    });

    this.namedQueries = Object.values(NAMED_QUERIES).map(
      (q) =>
        new CfnNamedQuery(this, `Query-${q.name}`, {
          name: q.name,
          description: describeQuery(
            q.description,
            q.parameters.map((p) => p.name),
          ),
          database: this.database.ref,
          workGroup: this.workGroup.ref,
          queryString: q.sql,
        }),
    );
  }
}

/** Construct ids of the fact tables (the first two kept from before the interval facts: no replacement). */
const FACT_TABLE_IDS: Record<FactTable, string> = {
  hourly: 'HourlyRollupTable',
  daily: 'DailyRollupTable',
  asset_intervals: 'AssetIntervalsFactTable',
  asset_gaps: 'AssetGapsFactTable',
};

/** Athena shows the description next to the SQL: say which value each `?` takes. */
function describeQuery(description: string, parameters: readonly string[]): string {
  const text = parameters.length ? `${description}. Parameters, in order: ${parameters.join(', ')}` : description;
  return text.slice(0, 1024);
}

function cfnTableInput(input: GlueTableInput): CfnTable.TableInputProperty {
  const columns = (cs: GlueTableInput['partitionKeys']) => cs.map((c) => ({ name: c.name, type: c.type }));
  const sd = input.storageDescriptor;
  return {
    name: input.name,
    description: input.description,
    tableType: input.tableType,
    parameters: { ...input.parameters },
    partitionKeys: columns(input.partitionKeys),
    storageDescriptor: {
      columns: columns(sd.columns),
      ...(sd.location === undefined ? {} : { location: sd.location }),
      ...(sd.inputFormat === undefined ? {} : { inputFormat: sd.inputFormat }),
      ...(sd.outputFormat === undefined ? {} : { outputFormat: sd.outputFormat }),
      ...(sd.compressed === undefined ? {} : { compressed: sd.compressed }),
      serdeInfo: {
        ...(sd.serdeInfo.serializationLibrary === undefined
          ? {}
          : { serializationLibrary: sd.serdeInfo.serializationLibrary }),
        ...(sd.serdeInfo.parameters === undefined ? {} : { parameters: { ...sd.serdeInfo.parameters } }),
      },
    },
    ...(input.viewOriginalText === undefined ? {} : { viewOriginalText: input.viewOriginalText }),
    ...(input.viewExpandedText === undefined ? {} : { viewExpandedText: input.viewExpandedText }),
  };
}
