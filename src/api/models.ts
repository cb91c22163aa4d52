// Typed models of the Lynx REST API v2 (see the OpenAPI text in the spec).
// Fields the spec marks optional are optional here; unknown extra fields are
// kept (index signatures) so newer servers do not break callers.

/** A key => value map of meta data (FunctionX, DeviceX). */
export type Meta = Record<string, string>;

/** GET /api/v2/installationinfo */
export interface InstallationInfo {
  id: number;
  client_id: number;
  name: string;
  organization_id?: number;
  capabilities?: string[];
  assigned?: boolean;
  [extra: string]: unknown;
}

/** Body of POST/PUT /api/v2/installation (spec schema Installation: name, organization_id, notes, users required). */
export interface InstallationInput {
  name: string;
  organization_id: number;
  notes: string;
  users: number[];
  meta: Meta;
  protected_meta?: Meta;
}

/** GET /api/v2/installation(/{id}): spec InstallationResponse (go-lynx InstallationRow). */
export interface InstallationRow {
  id: number;
  name: string;
  client_id: number;
  created?: number;
  organization_id: number;
  notes: string;
  users: number[];
  meta: Meta;
  protected_meta?: Meta;
  [extra: string]: unknown;
}

/** FunctionX and DeviceX objects share this shape. */
export interface ModelX {
  id: number;
  installation_id: number;
  type: string;
  meta: Meta;
  protected_meta?: Meta;
}
export type FunctionX = ModelX;
export type DeviceX = ModelX;

/** Body of POST/PUT on functionx/devicex (installation_id is filled in by the client). */
export interface ModelXInput {
  type: string;
  meta: Meta;
}

/** One meta key of a FunctionX/DeviceX. */
export interface MetaX {
  value: string;
  protected: boolean;
}

/** Filters for functionx/devicex list: `type` and meta key => value (wildcards allowed in values). */
export interface ModelXFilter {
  type?: string;
  meta?: Record<string, string>;
}

/** GET /api/v2/status/{installation_id}: the latest value of a topic (`topic` carries the `{client_id}/` prefix). */
export interface StatusEntry {
  topic: string;
  value: number;
  timestamp: number;
  msg?: string;
  client_id?: number;
  installation_id?: number;
  [extra: string]: unknown;
}

/** One entry of the v3 log (same shape as a status entry). */
export type LogEntry = StatusEntry;

/** GET /api/v3beta/log/{installation_id} answer. */
export interface LogPage {
  /** entries matching the query; undefined when the server leaves it out (`include_total=false`) */
  total?: number;
  count: number;
  /** unix timestamp (with decimals) of the oldest entry in data */
  last: number;
  data: LogEntry[];
}

/** Query of the v3 log. `from`/`to` are unix seconds (sent as whole seconds); `topics` bare (`obj/...`). */
export interface LogQuery {
  from?: number;
  to?: number;
  limit?: number;
  offset?: number;
  order?: 'asc' | 'desc';
  topics?: string[];
  /** false sends `include_total=false`: the server may then leave `total` out (paging goes on until a short page) */
  includeTotal?: boolean;
  /**
   * Server-side aggregation per topic and interval: `aggr_method` (avg, count, first, last, max, median,
   * min, percentile(N), spread, stddev, sum) and `aggr_interval` (Go duration text such as `15m` or a
   * number of seconds; the platform's default is one minute).
   */
  aggregation?: { method: string; interval?: string | number };
}

/** A schedule (cron-like fields default to '*' on the server). */
export interface Schedule {
  id?: number;
  installation_id?: number;
  active: boolean;
  topic: string;
  value: number;
  minute?: string;
  hour?: string;
  day_of_month?: string;
  day_of_week?: string;
  month?: string;
  executor?: string;
  created_at?: number;
  updated_at?: string | number;
  [extra: string]: unknown;
}

export interface NotificationMessage {
  id: number;
  name: string;
  text: string;
  [extra: string]: unknown;
}

export interface NotificationOutput {
  id: number;
  name: string;
  notification_output_executor_id: number;
  notification_message_id: number;
  installation_id?: number;
  config: Record<string, string>;
  [extra: string]: unknown;
}

export interface NotificationExecutor {
  id?: number;
  type: string;
  name: string;
  organization_id: number;
  config: Record<string, string>;
  [extra: string]: unknown;
}
/** Alias matching the spec's schema name. */
export type NotificationOutputExecutor = NotificationExecutor;

/** POST /api/v2/mqtt/publish/{installation_id} */
export interface MqttPublishRequest {
  /** topic inside the installation, e.g. `obj/device/1/temperature` */
  topic: string;
  /** JSON payload, e.g. `{ value: 22.1 }` */
  payload: unknown;
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

/** `{ message }` answers (errors, deletes). */
export interface MessageResponse {
  message?: string;
}
