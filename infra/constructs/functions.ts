import { Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ENV, FUNCTIONS, type FunctionKey } from '../../src/shared/functions.ts';
import { PREFIXES, STREAM, TABLES, type TableDefinition, type TableKey } from '../../src/shared/resources.ts';
import { assertEntriesExist } from '../bundling/options.ts';
import { acknowledgeActions, acknowledgeResources, GRANT_ACTION_PATTERNS } from '../nag.ts';
import { PipelineFunction } from './pipeline-function.ts';

export interface PipelineFunctionsProps {
  readonly projectRoot: string;
  /** The data bucket's physical name (handed to handlers; a string, so no function depends on the bucket resource). */
  readonly bucketName: string;
  /**
   * The data bucket referenced by name: the bucket depends on the functions it invokes
   * (its notification configuration), so their grants must not depend on it.
   */
  readonly bucket: IBucket;
  readonly stream: IStream;
  readonly tables: { readonly [K in TableKey]: Table };
  readonly alertsTopic: ITopic;
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy?: RemovalPolicy | undefined;
  /** Expiry of time-series items, handed to the state consumer. @default - no expiry */
  readonly readingsTtlDays?: number | undefined;
  /** JSON overrides of the anomaly rules' thresholds, handed to the anomaly consumer. @default - the rules' defaults */
  readonly anomalyRules?: string | undefined;
  /** IANA zone of zone-less LV monitor timestamps, handed to the splitter. @default - UTC */
  readonly sourceTimeZone?: string | undefined;
  /** Quiet time before the daily compaction rewrites a day partition. @default COMPACTION.defaultQuietMinutes */
  readonly compactQuietMinutes?: number | undefined;
}

/** Object keys under a zone, as grant patterns. */
const under = (prefix: string): string => `${prefix}*`;

/**
 * The handlers of `FUNCTIONS` and exactly what each may touch. Every permission is
 * a grant on a named resource (a bucket zone, a table, the stream, the topic); what
 * invokes each function is wired in `PipelineTriggers`.
 */
export class PipelineFunctions extends Construct {
  readonly functions: { readonly [K in FunctionKey]: PipelineFunction };

  constructor(scope: Construct, id: string, props: PipelineFunctionsProps) {
    super(scope, id);
    assertEntriesExist(props.projectRoot, FUNCTIONS);
    const { bucket, stream, tables, alertsTopic } = props;
    const account = { [ENV.awsAccount]: Stack.of(this).account };
    const make = (key: FunctionKey, environment: Record<string, string>): PipelineFunction =>
      new PipelineFunction(this, FUNCTIONS[key].id, {
        name: key,
        definition: FUNCTIONS[key],
        projectRoot: props.projectRoot,
        environment: { ...account, ...environment },
        logRetention: props.logRetention,
        logRemovalPolicy: props.logRemovalPolicy,
      });

    const access = new ZoneAccess(bucket);
    const tableAccess = (f: PipelineFunction, key: TableKey, grant: 'readWrite' | 'read' | 'write'): void => {
      const table = tables[key];
      if (grant === 'readWrite') table.grantReadWriteData(f.role);
      else if (grant === 'read') table.grantReadData(f.role);
      else table.grantWriteData(f.role);
      const def: TableDefinition = TABLES[key];
      if (def.globalIndexes?.length) {
        acknowledgeResources(
          f.role,
          [`${table.tableArn}/index/*`],
          `The global secondary indexes of the ${def.tableName} table only, which its grant includes.`,
        );
      }
    };

    // raw/ → events on the stream; every file's manifest; its rejected rows to quarantine/
    // (re-splitting a file that now has none deletes its old quarantine object).
    const splitter = make('splitter', {
      [ENV.bucket]: props.bucketName,
      [ENV.stream]: STREAM.streamName,
      ...(props.sourceTimeZone === undefined ? {} : { [ENV.sourceTimeZone]: props.sourceTimeZone }),
    });
    access.read(splitter, PREFIXES.raw);
    // the user mappings (`dubegrid sources add`), and nothing else of reference/
    access.read(splitter, PREFIXES.referenceSources);
    access.put(splitter, PREFIXES.manifests);
    access.put(splitter, PREFIXES.quarantine);
    access.delete(splitter, PREFIXES.quarantine);
    stream.grantWrite(splitter.role);

    // stream → latest state and time series; bad readings inside good records to quarantine/.
    const state = make('state', {
      [ENV.bucket]: props.bucketName,
      ...(props.readingsTtlDays === undefined ? {} : { [ENV.readingsTtlDays]: String(props.readingsTtlDays) }),
    });
    tableAccess(state, 'readings', 'readWrite');
    tableAccess(state, 'latest', 'readWrite');
    access.put(state, PREFIXES.quarantine);
    // the units the mappings declare (src/producers/splitter/mapping/stored.ts readerUnits), nothing else of reference/
    access.read(state, PREFIXES.referenceSources);

    // stream → windows, incidents, notifications (published at once; the outbox catches up).
    const anomaly = make('anomaly', {
      [ENV.bucket]: props.bucketName,
      [ENV.alertsTopicArn]: alertsTopic.topicArn,
      ...(props.anomalyRules === undefined ? {} : { [ENV.anomalyRules]: props.anomalyRules }),
    });
    tableAccess(anomaly, 'windows', 'readWrite');
    tableAccess(anomaly, 'alerts', 'readWrite');
    tableAccess(anomaly, 'assets', 'read');
    tableAccess(anomaly, 'feeds', 'readWrite');
    alertsTopic.grantPublish(anomaly.role);
    access.put(anomaly, PREFIXES.quarantine);
    access.put(anomaly, PREFIXES.processedAlerts);
    // the declared units' bounds drive negative_value: the mappings, and nothing else of reference/
    access.read(anomaly, PREFIXES.referenceSources);

    // every minute: publish what is still unpublished (its alert-lake row, then the topic).
    const outbox = make('outbox', { [ENV.bucket]: props.bucketName, [ENV.alertsTopicArn]: alertsTopic.topicArn });
    tableAccess(outbox, 'alerts', 'readWrite');
    alertsTopic.grantPublish(outbox.role);
    access.put(outbox, PREFIXES.processedAlerts);

    // reference/assets/ and reference/mapped/ (read through the mappings of reference/sources/) → the assets
    // table; rejected rows (or a file that is no assets file) → quarantine/.
    const registry = make('registry', {
      [ENV.bucket]: props.bucketName,
      // a reference file is read with the splitter's mappings, some of whose zone is the source's
      ...(props.sourceTimeZone === undefined ? {} : { [ENV.sourceTimeZone]: props.sourceTimeZone }),
    });
    access.read(registry, PREFIXES.referenceAssets);
    access.read(registry, PREFIXES.referenceMapped);
    access.read(registry, PREFIXES.referenceSources);
    access.put(registry, PREFIXES.quarantine);
    tableAccess(registry, 'assets', 'write');

    // daily: lake day partitions rewritten in place — read, write and delete under processed/readings/ only;
    // its per-partition lease in the leases table.
    const compaction = make('compaction', {
      [ENV.bucket]: props.bucketName,
      ...(props.compactQuietMinutes === undefined
        ? {}
        : { [ENV.compactQuietMinutes]: String(props.compactQuietMinutes) }),
    });
    access.read(compaction, PREFIXES.processed);
    access.put(compaction, PREFIXES.processed);
    access.delete(compaction, PREFIXES.processed);
    tableAccess(compaction, 'leases', 'readWrite');

    // hourly: the fact layer — read the readings partitions, and only processed/rollups/ written (and a day's
    // rollups deleted once its readings are gone). No Glue grants: the rollup tables use partition projection.
    const rollups = make('rollups', { [ENV.bucket]: props.bucketName });
    access.read(rollups, PREFIXES.processed);
    // HEAD of a rollup object (what it was built from) needs s3:GetObject on it
    access.read(rollups, PREFIXES.processedRollups);
    access.put(rollups, PREFIXES.processedRollups);
    access.delete(rollups, PREFIXES.processedRollups);
    // the registry's interval_minutes, which wins over the observed cadence in expected_count
    tableAccess(rollups, 'assets', 'read');

    // every 5 minutes: the stale_feed watchdog (feeds the low watermark has passed → incidents, published).
    const watchdog = make('watchdog', {
      [ENV.bucket]: props.bucketName,
      [ENV.alertsTopicArn]: alertsTopic.topicArn,
      ...(props.anomalyRules === undefined ? {} : { [ENV.anomalyRules]: props.anomalyRules }),
    });
    tableAccess(watchdog, 'feeds', 'readWrite');
    tableAccess(watchdog, 'alerts', 'readWrite');
    alertsTopic.grantPublish(watchdog.role);
    access.put(watchdog, PREFIXES.processedAlerts);

    this.functions = { splitter, state, anomaly, outbox, compaction, rollups, registry, watchdog };
    for (const f of Object.values(this.functions)) {
      // Every function uses the data key (bucket objects, tables or the topic), through grants.
      acknowledgeActions(
        f.role,
        GRANT_ACTION_PATTERNS.kms,
        'kms:GenerateDataKey*/ReEncrypt* as CDK key grants emit them, on the data key only (the one resource of the statement).',
      );
    }
  }
}

/** Grants on one zone of the data bucket, each with its cdk-nag acknowledgements. */
class ZoneAccess {
  constructor(private readonly bucket: IBucket) {}

  read(f: PipelineFunction, prefix: string): void {
    this.bucket.grantRead(f.role, under(prefix));
    acknowledgeActions(
      f.role,
      GRANT_ACTION_PATTERNS.s3Read,
      `s3 Get*/List* as bucket.grantRead emits them, on the data bucket and objects under ${prefix} only.`,
    );
    this.objects(f, prefix);
  }

  put(f: PipelineFunction, prefix: string): void {
    this.bucket.grantPut(f.role, under(prefix));
    acknowledgeActions(
      f.role,
      GRANT_ACTION_PATTERNS.s3Put,
      `s3:Abort* (multipart uploads) as bucket.grantPut emits it, on objects under ${prefix} only.`,
    );
    this.objects(f, prefix);
  }

  delete(f: PipelineFunction, prefix: string): void {
    this.bucket.grantDelete(f.role, under(prefix));
    acknowledgeActions(
      f.role,
      GRANT_ACTION_PATTERNS.s3Delete,
      `s3:DeleteObject* as bucket.grantDelete emits it, on objects under ${prefix} only.`,
    );
    this.objects(f, prefix);
  }

  private objects(f: PipelineFunction, prefix: string): void {
    acknowledgeResources(
      f.role,
      [this.bucket.arnForObjects(under(prefix))],
      `Objects under exactly one zone of the data bucket, ${prefix} (src/shared/resources.ts PREFIXES).`,
    );
  }
}
