/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-sim-server"

#include "config.h"

#include <string.h>

#include <gst/gst.h>

#include "clap-sim-server-private.h"

/**
 * ClapSimServer:
 *
 * A local stand-in for the apimodels.app Kling video API: the same
 * endpoints, envelope, errors, task states, files endpoint and callbacks,
 * with a real H.264 MP4 rendered per take and faults to inject. It listens
 * on 127.0.0.1 only and runs on the thread-default main context that was
 * current when it was created; renders and probes run in worker threads.
 */

enum {
  PROP_0,
  PROP_PENDING_MS,
  PROP_PROCESSING_MS,
  PROP_SLOW_MS,
  PROP_FULL_RESOLUTION,
  PROP_RESULT_FILE,
  PROP_DATA_DIR,
  PROP_RESULT_TTL_MS,
  PROP_UPLOAD_URL_TTL_MS,
  PROP_TIME_SCALE,
  PROP_ACCEPTED_KEY,
  PROP_DIALECT,
  N_PROPS
};

enum {
  REQUEST_HANDLED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (ClapSimServer, clap_sim_server, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct {
  ClapSimFault fault;
  guint        remaining;
} FaultEntry;

/* Deletes @file and, when it is a directory, everything below it. */
void
_clap_sim_remove_tree (GFile *file)
{
  g_autoptr(GFileEnumerator) children = NULL;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (children != NULL)
    {
      GFile *child;

      while (g_file_enumerator_iterate (children, NULL, &child, NULL, NULL) && child != NULL)
        _clap_sim_remove_tree (child);
    }

  g_file_delete (file, NULL, NULL);
}

static void
clap_sim_server_dispose (GObject *object)
{
  ClapSimServer *self = (ClapSimServer *)object;

  g_cancellable_cancel (self->cancellable);

  _clap_sim_release_all (self);
  _clap_sim_callback_cancel_all (self);

  if (self->soup != NULL)
    {
      soup_server_disconnect (self->soup);
      g_clear_object (&self->soup);
    }

  /* task_ids points into the tasks: it goes first. */
  g_clear_pointer (&self->task_ids, g_hash_table_unref);
  g_clear_pointer (&self->tasks, g_hash_table_unref);
  g_clear_object (&self->callback_session);

  /* A render writes into the data dir that finalize removes, so wait: the
   * workers watch the cancellable and stop within a fraction of a second. */
  g_mutex_lock (&self->workers_lock);
  while (self->n_workers > 0)
    g_cond_wait (&self->workers_cond, &self->workers_lock);
  g_mutex_unlock (&self->workers_lock);

  G_OBJECT_CLASS (clap_sim_server_parent_class)->dispose (object);
}

static void
clap_sim_server_finalize (GObject *object)
{
  ClapSimServer *self = (ClapSimServer *)object;

  for (guint i = 0; i < CLAP_SIM_N_ENDPOINTS; i++)
    g_queue_clear_full (&self->faults[i], g_free);

  g_clear_pointer (&self->files, g_hash_table_unref);
  g_clear_pointer (&self->uploads, g_hash_table_unref);
  g_clear_pointer (&self->held, g_ptr_array_unref);
  g_clear_pointer (&self->deliveries, g_ptr_array_unref);

  if (self->temp_dir != NULL)
    {
      g_autoptr(GFile) dir = g_file_new_for_path (self->temp_dir);

      _clap_sim_remove_tree (dir);
    }

  g_clear_pointer (&self->temp_dir, g_free);
  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->result_file, g_free);
  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->accepted_key, g_free);
  g_clear_pointer (&self->last_id, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);
  g_mutex_clear (&self->workers_lock);
  g_cond_clear (&self->workers_cond);

  G_OBJECT_CLASS (clap_sim_server_parent_class)->finalize (object);
}

static void
clap_sim_server_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ClapSimServer *self = CLAP_SIM_SERVER (object);

  switch (prop_id)
    {
    case PROP_PENDING_MS:
      g_value_set_uint (value, self->pending_ms);
      break;

    case PROP_PROCESSING_MS:
      g_value_set_uint (value, self->processing_ms);
      break;

    case PROP_SLOW_MS:
      g_value_set_uint (value, self->slow_ms);
      break;

    case PROP_FULL_RESOLUTION:
      g_value_set_boolean (value, self->full_resolution);
      break;

    case PROP_RESULT_FILE:
      g_value_set_string (value, self->result_file);
      break;

    case PROP_DATA_DIR:
      g_value_set_string (value, self->data_dir);
      break;

    case PROP_RESULT_TTL_MS:
      g_value_set_uint (value, self->result_ttl_ms);
      break;

    case PROP_UPLOAD_URL_TTL_MS:
      g_value_set_uint (value, self->upload_url_ttl_ms);
      break;

    case PROP_TIME_SCALE:
      g_value_set_double (value, self->time_scale);
      break;

    case PROP_ACCEPTED_KEY:
      g_value_set_string (value, self->accepted_key);
      break;

    case PROP_DIALECT:
      g_value_set_enum (value, self->dialect);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_uint (ClapSimServer *self,
          guint         *field,
          const GValue  *value,
          GParamSpec    *pspec)
{
  guint v = g_value_get_uint (value);

  if (*field != v)
    {
      *field = v;
      g_object_notify_by_pspec (G_OBJECT (self), pspec);
    }
}

static void
set_string (ClapSimServer  *self,
            char          **field,
            const GValue   *value,
            GParamSpec     *pspec)
{
  const char *v = g_value_get_string (value);

  if (g_strcmp0 (*field, v) != 0)
    {
      g_free (*field);
      *field = g_strdup (v);
      g_object_notify_by_pspec (G_OBJECT (self), pspec);
    }
}

static void
clap_sim_server_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  ClapSimServer *self = CLAP_SIM_SERVER (object);

  switch (prop_id)
    {
    case PROP_PENDING_MS:
      set_uint (self, &self->pending_ms, value, pspec);
      break;

    case PROP_PROCESSING_MS:
      set_uint (self, &self->processing_ms, value, pspec);
      break;

    case PROP_SLOW_MS:
      set_uint (self, &self->slow_ms, value, pspec);
      break;

    case PROP_FULL_RESOLUTION:
      if (self->full_resolution != g_value_get_boolean (value))
        {
          self->full_resolution = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_RESULT_FILE:
      set_string (self, &self->result_file, value, pspec);
      break;

    case PROP_DATA_DIR:
      set_string (self, &self->data_dir, value, pspec);
      break;

    case PROP_RESULT_TTL_MS:
      set_uint (self, &self->result_ttl_ms, value, pspec);
      break;

    case PROP_UPLOAD_URL_TTL_MS:
      set_uint (self, &self->upload_url_ttl_ms, value, pspec);
      break;

    case PROP_TIME_SCALE:
      if (self->time_scale != g_value_get_double (value))
        {
          self->time_scale = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_ACCEPTED_KEY:
      set_string (self, &self->accepted_key, value, pspec);
      break;

    case PROP_DIALECT:
      clap_sim_server_set_dialect (self, g_value_get_enum (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clap_sim_server_class_init (ClapSimServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = clap_sim_server_dispose;
  object_class->finalize = clap_sim_server_finalize;
  object_class->get_property = clap_sim_server_get_property;
  object_class->set_property = clap_sim_server_set_property;

  /**
   * ClapSimServer:pending-ms:
   *
   * How long a new task stays `pending` before it starts `processing`.
   */
  properties[PROP_PENDING_MS] =
    g_param_spec_uint ("pending-ms", NULL, NULL, 0, G_MAXUINT, 2000, flags);

  /**
   * ClapSimServer:processing-ms:
   *
   * The least time a task stays `processing`; it also waits for its render.
   * The `[sim:slow-render]` keyword triples it.
   */
  properties[PROP_PROCESSING_MS] =
    g_param_spec_uint ("processing-ms", NULL, NULL, 0, G_MAXUINT, 6000, flags);

  /**
   * ClapSimServer:slow-ms:
   *
   * How late a request hit by %CLAP_SIM_FAULT_SLOW is answered.
   */
  properties[PROP_SLOW_MS] =
    g_param_spec_uint ("slow-ms", NULL, NULL, 0, G_MAXUINT, 20000, flags);

  /**
   * ClapSimServer:full-resolution:
   *
   * Render at the real size (720p for `std`, 1080p for `pro`, 24 fps)
   * instead of the small fast default (320×180 at 12 fps for 16:9).
   */
  properties[PROP_FULL_RESOLUTION] =
    g_param_spec_boolean ("full-resolution", NULL, NULL, FALSE, flags);

  /**
   * ClapSimServer:result-file:
   *
   * A file served as every task's video instead of a render (only the
   * thumbnail is still drawn), e.g. a large file for download benchmarks.
   */
  properties[PROP_RESULT_FILE] =
    g_param_spec_string ("result-file", NULL, NULL, NULL, flags);

  /**
   * ClapSimServer:data-dir:
   *
   * Where uploads and renders are written. When unset, a private
   * temporary directory is used and deleted when the server is finalized.
   */
  properties[PROP_DATA_DIR] =
    g_param_spec_string ("data-dir", NULL, NULL, NULL, flags);

  /**
   * ClapSimServer:result-ttl-ms:
   *
   * How long result and thumbnail URLs work after a task completes; later
   * they answer 403 as an expired CDN link does. 0 keeps them forever.
   */
  properties[PROP_RESULT_TTL_MS] =
    g_param_spec_uint ("result-ttl-ms", NULL, NULL, 0, G_MAXUINT, 0, flags);

  /**
   * ClapSimServer:upload-url-ttl-ms:
   *
   * How long an `uploadUrl` from the files endpoint accepts its PUT.
   */
  properties[PROP_UPLOAD_URL_TTL_MS] =
    g_param_spec_uint ("upload-url-ttl-ms", NULL, NULL, 0, G_MAXUINT, 600000, flags);

  /**
   * ClapSimServer:time-scale:
   *
   * Multiplies the callback schedule (retries after 1 s, 2 s and 4 s, then
   * every 60 s for up to 30 minutes), so that tests can run it at 0.01.
   */
  properties[PROP_TIME_SCALE] =
    g_param_spec_double ("time-scale", NULL, NULL, 0.0001, 1000.0, 1.0, flags);

  /**
   * ClapSimServer:accepted-key:
   *
   * The only Bearer token accepted; %NULL accepts any non-empty one.
   */
  properties[PROP_ACCEPTED_KEY] =
    g_param_spec_string ("accepted-key", NULL, NULL, NULL, flags);

  /**
   * ClapSimServer:dialect:
   *
   * The shape of the answers to creates, queries and callbacks, and the
   * request rules of motion control (see #ClapSimDialect). It applies to
   * every answer from the moment it is set, tasks made before included.
   * A new server takes `CLAPBOARD_SIM_DIALECT` from the environment when
   * it is set (so that `clapboard --demo` can speak any of them), else
   * %CLAP_SIM_DIALECT_SEED.
   */
  properties[PROP_DIALECT] =
    g_param_spec_enum ("dialect", NULL, NULL, CLAP_TYPE_SIM_DIALECT, CLAP_SIM_DIALECT_SEED,
                       flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ClapSimServer::request-handled:
   * @self: the server
   * @method: the HTTP method
   * @path: the path, with the query of API routes
   * @status: the HTTP status answered, 0 when the connection was dropped
   *
   * Emitted once a request has been answered, for logging. It never
   * carries the Authorization header.
   */
  signals[REQUEST_HANDLED] =
    g_signal_new ("request-handled",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT);

  gst_init (NULL, NULL);
}

static void
not_found_handler (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  _clap_sim_respond_envelope (msg, SOUP_STATUS_NOT_FOUND, 404, "Not found", NULL);
}

static void
sim_faults_handler (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  ClapSimServer *self = user_data;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) data = NULL;
  ClapSimEndpoint endpoint;
  ClapSimFault fault;
  const char *endpoint_name;
  const char *fault_name;
  gint64 count = 1;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      _clap_sim_respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Use POST");
      return;
    }

  if (!(body = _clap_sim_parse_json_object (msg)))
    {
      _clap_sim_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "Request body must be a JSON object");
      return;
    }

  endpoint_name = json_object_get_string_member_with_default (body, "endpoint", "");
  fault_name = json_object_get_string_member_with_default (body, "fault", "");

  if (json_object_has_member (body, "count"))
    count = json_object_get_int_member_with_default (body, "count", -1);

  if (!_clap_sim_endpoint_from_name (endpoint_name, &endpoint))
    {
      _clap_sim_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "Unknown endpoint: %s", endpoint_name);
      return;
    }

  if (!_clap_sim_fault_from_name (fault_name, &fault))
    {
      _clap_sim_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "Unknown fault: %s", fault_name);
      return;
    }

  if (count < 0 || count > G_MAXUINT)
    {
      _clap_sim_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "count must be a non-negative integer");
      return;
    }

  clap_sim_server_inject_fault (self, endpoint, fault, count);

  data = json_object_new ();
  json_object_set_string_member (data, "endpoint", _clap_sim_endpoint_to_name (endpoint));
  json_object_set_string_member (data, "fault", _clap_sim_fault_to_name (fault));
  json_object_set_int_member (data, "count", count);
  _clap_sim_respond_success (msg, data);
}

/* `GET /sim/dialect` tells the dialect; `POST /sim/dialect` with
 * {"dialect": "gateway"} switches it while the simulator runs. */
static void
sim_dialect_handler (SoupServer        *server,
                     SoupServerMessage *msg,
                     const char        *path,
                     GHashTable        *query,
                     gpointer           user_data)
{
  ClapSimServer *self = user_data;
  g_autoptr(JsonObject) data = NULL;
  const char *method = soup_server_message_get_method (msg);

  if (method == SOUP_METHOD_POST)
    {
      g_autoptr(JsonObject) body = _clap_sim_parse_json_object (msg);
      JsonNode *node = body != NULL ? json_object_get_member (body, "dialect") : NULL;
      const char *name = NULL;
      ClapSimDialect dialect;

      if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
          json_node_get_value_type (node) == G_TYPE_STRING)
        name = json_node_get_string (node);

      if (name == NULL || !_clap_sim_dialect_from_name (name, &dialect))
        {
          _clap_sim_respond_error (msg, SOUP_STATUS_BAD_REQUEST,
                                   "Unknown dialect: %s (use seed, gateway or kling-native)",
                                   name != NULL ? name : "(none)");
          return;
        }

      clap_sim_server_set_dialect (self, dialect);
    }
  else if (method != SOUP_METHOD_GET)
    {
      _clap_sim_respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Use GET or POST");
      return;
    }

  data = json_object_new ();
  json_object_set_string_member (data, "dialect", _clap_sim_dialect_to_name (self->dialect));
  _clap_sim_respond_success (msg, data);
}

static void
sim_stats_handler (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  ClapSimServer *self = user_data;
  g_autoptr(JsonObject) data = json_object_new ();

  for (guint i = 0; i < CLAP_SIM_N_ENDPOINTS; i++)
    json_object_set_int_member (data, _clap_sim_endpoint_to_name (i), self->request_counts[i]);

  _clap_sim_respond_success (msg, data);
}

/* Orders tasks as they were created, so a listing reads the same twice. */
static gint
compare_tasks (gconstpointer a,
               gconstpointer b)
{
  const ClapSimTask *ta = *(const ClapSimTask **)a;
  const ClapSimTask *tb = *(const ClapSimTask **)b;

  return ta->ordinal < tb->ordinal ? -1 : ta->ordinal > tb->ordinal;
}

/* `GET /sim/tasks`: every task this simulator created, so that a test can
 * hold a client's history against what the service really made. */
static void
sim_tasks_handler (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  ClapSimServer *self = user_data;
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  g_autoptr(JsonObject) data = NULL;
  JsonArray *tasks;
  GHashTableIter iter;
  gpointer value;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET)
    {
      _clap_sim_respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Use GET");
      return;
    }

  g_hash_table_iter_init (&iter, self->tasks);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sorted, value);
  g_ptr_array_sort (sorted, compare_tasks);

  data = json_object_new ();
  tasks = json_array_new ();
  for (guint i = 0; i < sorted->len; i++)
    {
      ClapSimTask *task = g_ptr_array_index (sorted, i);
      JsonObject *item = json_object_new ();
      const char *prompt = NULL;

      if (json_object_has_member (task->params, "prompt") &&
          JSON_NODE_HOLDS_VALUE (json_object_get_member (task->params, "prompt")))
        prompt = json_object_get_string_member (task->params, "prompt");

      json_object_set_string_member (item, "taskId", task->id);
      json_object_set_string_member (item, "state", _clap_sim_state_to_string (task->state));
      json_object_set_string_member (item, "model", task->model);
      if (prompt != NULL)
        json_object_set_string_member (item, "prompt", prompt);
      else
        json_object_set_null_member (item, "prompt");
      json_object_set_int_member (item, "createTime", task->create_time);
      if (task->complete_time != 0)
        json_object_set_int_member (item, "completeTime", task->complete_time);
      /* The truth, whatever the answers say ([sim:no-link], [sim:same-id]):
       * where the task's own video is. */
      if (task->state == CLAP_SIM_STATE_COMPLETED)
        {
          g_autofree char *url = _clap_sim_task_result_url (self, task);

          json_object_set_string_member (item, "resultUrl", url);
        }
      json_array_add_object_element (tasks, item);
    }

  json_object_set_array_member (data, "tasks", tasks);
  _clap_sim_respond_success (msg, data);
}

static void
request_finished_cb (SoupServer        *server,
                     SoupServerMessage *msg,
                     ClapSimServer     *self)
{
  _clap_sim_server_log_request (self, msg, soup_server_message_get_status (msg));
}

static void
clap_sim_server_init (ClapSimServer *self)
{
  self->pending_ms = 2000;
  self->processing_ms = 6000;
  self->slow_ms = 20000;
  self->upload_url_ttl_ms = 600000;
  self->time_scale = 1.0;

  /* So that a simulator made elsewhere (clapboard --demo, a UI test) can
   * be made to speak another dialect without a line of code. */
  if (g_getenv ("CLAPBOARD_SIM_DIALECT") != NULL &&
      !_clap_sim_dialect_from_name (g_getenv ("CLAPBOARD_SIM_DIALECT"), &self->dialect))
    g_warning ("CLAPBOARD_SIM_DIALECT=%s is not a dialect (seed, gateway, kling-native)",
               g_getenv ("CLAPBOARD_SIM_DIALECT"));

  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();
  self->tasks = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify)_clap_sim_task_free);
  self->task_ids = g_hash_table_new (g_str_hash, g_str_equal);
  self->files = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify)_clap_sim_file_free);
  self->uploads = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify)_clap_sim_upload_slot_free);
  for (guint i = 0; i < CLAP_SIM_N_ENDPOINTS; i++)
    g_queue_init (&self->faults[i]);

  for (guint i = 0; i < G_N_ELEMENTS (self->secret); i++)
    self->secret[i] = g_random_int_range (0, 256);

  g_mutex_init (&self->workers_lock);
  g_cond_init (&self->workers_cond);

  self->soup = soup_server_new ("server-header", "clapboard-sim ", NULL);
  g_signal_connect_object (self->soup, "request-finished",
                           G_CALLBACK (request_finished_cb), self, 0);
  g_signal_connect_object (self->soup, "request-aborted",
                           G_CALLBACK (request_finished_cb), self, 0);

  soup_server_add_handler (self->soup, NULL, not_found_handler, NULL, NULL);
  soup_server_add_handler (self->soup, "/api/v1/video/generations",
                           _clap_sim_generations_handler, self, NULL);
  soup_server_add_handler (self->soup, "/api/v1/files", _clap_sim_files_handler, self, NULL);
  soup_server_add_early_handler (self->soup, "/upload",
                                 _clap_sim_upload_early_handler, self, NULL);
  soup_server_add_handler (self->soup, "/upload", _clap_sim_upload_handler, self, NULL);
  soup_server_add_handler (self->soup, "/files", _clap_sim_file_get_handler, self, NULL);
  soup_server_add_handler (self->soup, "/results", _clap_sim_results_handler, self, NULL);
  soup_server_add_handler (self->soup, "/sim/faults", sim_faults_handler, self, NULL);
  soup_server_add_handler (self->soup, "/sim/stats", sim_stats_handler, self, NULL);
  soup_server_add_handler (self->soup, "/sim/dialect", sim_dialect_handler, self, NULL);
  soup_server_add_handler (self->soup, "/sim/tasks", sim_tasks_handler, self, NULL);
}

/**
 * clap_sim_server_new:
 *
 * Creates a simulator with the default timings. Set its properties, then
 * call clap_sim_server_listen().
 *
 * Returns: (transfer full): a new #ClapSimServer
 */
ClapSimServer *
clap_sim_server_new (void)
{
  return g_object_new (CLAP_TYPE_SIM_SERVER, NULL);
}

/**
 * clap_sim_server_listen:
 * @self: a #ClapSimServer
 * @port: the TCP port, or 0 for any free one
 * @error: return location for a #GError
 *
 * Starts answering on 127.0.0.1 (never on another interface). A server
 * listens once.
 *
 * Returns: %TRUE on success
 */
gboolean
clap_sim_server_listen (ClapSimServer  *self,
                        guint           port,
                        GError        **error)
{
  GSList *uris;

  g_return_val_if_fail (CLAP_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (port <= G_MAXUINT16, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->base_url != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "The simulator already listens on %s", self->base_url);
      return FALSE;
    }

  if (!soup_server_listen_local (self->soup, port, SOUP_SERVER_LISTEN_IPV4_ONLY, error))
    return FALSE;

  uris = soup_server_get_uris (self->soup);
  g_assert (uris != NULL);
  self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  self->base_url = g_strdup_printf ("http://127.0.0.1:%u", self->port);

  return TRUE;
}

/**
 * clap_sim_server_dup_base_url:
 * @self: a #ClapSimServer
 *
 * Returns: (transfer full) (nullable): the URL to use as the API base,
 *   "http://127.0.0.1:PORT", or %NULL before clap_sim_server_listen()
 */
char *
clap_sim_server_dup_base_url (ClapSimServer *self)
{
  g_return_val_if_fail (CLAP_IS_SIM_SERVER (self), NULL);

  return g_strdup (self->base_url);
}

/**
 * clap_sim_server_inject_fault:
 * @self: a #ClapSimServer
 * @endpoint: the endpoint whose requests fail
 * @fault: what they answer
 * @count: how many of the next requests answer it
 *
 * Queues @fault for the next @count requests of @endpoint, after the faults
 * already queued there. %CLAP_SIM_FAULT_NONE clears the endpoint's queue.
 */
void
clap_sim_server_inject_fault (ClapSimServer   *self,
                              ClapSimEndpoint  endpoint,
                              ClapSimFault     fault,
                              guint            count)
{
  FaultEntry *entry;

  g_return_if_fail (CLAP_IS_SIM_SERVER (self));
  g_return_if_fail (endpoint < CLAP_SIM_N_ENDPOINTS);
  g_return_if_fail (fault <= CLAP_SIM_FAULT_CREATED_THEN_DROP);

  if (fault == CLAP_SIM_FAULT_NONE)
    {
      g_queue_clear_full (&self->faults[endpoint], g_free);
      return;
    }

  if (count == 0)
    return;

  entry = g_new0 (FaultEntry, 1);
  entry->fault = fault;
  entry->remaining = count;
  g_queue_push_tail (&self->faults[endpoint], entry);
}

/**
 * clap_sim_server_get_request_count:
 * @self: a #ClapSimServer
 * @endpoint: an endpoint
 *
 * Returns: how many requests @endpoint received (faulted and refused ones
 *   included); for %CLAP_SIM_ENDPOINT_CALLBACK, how many callback attempts
 *   were made
 */
guint
clap_sim_server_get_request_count (ClapSimServer   *self,
                                   ClapSimEndpoint  endpoint)
{
  g_return_val_if_fail (CLAP_IS_SIM_SERVER (self), 0);
  g_return_val_if_fail (endpoint < CLAP_SIM_N_ENDPOINTS, 0);

  return self->request_counts[endpoint];
}

/**
 * clap_sim_server_get_dialect:
 * @self: a #ClapSimServer
 *
 * Returns: the shape the simulator answers in
 */
ClapSimDialect
clap_sim_server_get_dialect (ClapSimServer *self)
{
  g_return_val_if_fail (CLAP_IS_SIM_SERVER (self), CLAP_SIM_DIALECT_SEED);

  return self->dialect;
}

/**
 * clap_sim_server_set_dialect:
 * @self: a #ClapSimServer
 * @dialect: the shape to answer in
 *
 * Switches the dialect: every answer from now on, of old tasks and new,
 * takes its shape; creates are validated by its rules.
 */
void
clap_sim_server_set_dialect (ClapSimServer  *self,
                             ClapSimDialect  dialect)
{
  g_return_if_fail (CLAP_IS_SIM_SERVER (self));
  g_return_if_fail (dialect <= CLAP_SIM_DIALECT_KLING_NATIVE);

  if (self->dialect == dialect)
    return;

  self->dialect = dialect;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIALECT]);
}

void
_clap_sim_server_count_request (ClapSimServer   *self,
                                ClapSimEndpoint  endpoint)
{
  self->request_counts[endpoint]++;
}

ClapSimFault
_clap_sim_server_take_fault (ClapSimServer   *self,
                             ClapSimEndpoint  endpoint)
{
  FaultEntry *entry = g_queue_peek_head (&self->faults[endpoint]);
  ClapSimFault fault;

  if (entry == NULL)
    return CLAP_SIM_FAULT_NONE;

  fault = entry->fault;

  if (--entry->remaining == 0)
    g_free (g_queue_pop_head (&self->faults[endpoint]));

  return fault;
}

/* Answers 401 itself when the key is missing or refused. */
gboolean
_clap_sim_server_check_auth (ClapSimServer      *self,
                             SoupServerMessage  *msg,
                             const char        **key)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *value = soup_message_headers_get_one (headers, "Authorization");
  const char *token = NULL;

  if (value != NULL && g_ascii_strncasecmp (value, "Bearer ", 7) == 0)
    {
      token = value + 7;
      while (*token == ' ')
        token++;
    }

  if (token == NULL || *token == '\0' ||
      g_str_equal (token, CLAP_SIM_KEY_UNAUTHORIZED) ||
      (self->accepted_key != NULL && !g_str_equal (token, self->accepted_key)))
    {
      _clap_sim_server_respond (self, msg, SOUP_STATUS_UNAUTHORIZED, 401, "Invalid API key", NULL);
      return FALSE;
    }

  if (key != NULL)
    *key = token;

  return TRUE;
}

/* Builds a path in the data dir, making the private temporary directory
 * and @subdir on first use. */
char *
_clap_sim_server_data_path (ClapSimServer *self,
                            const char    *subdir,
                            const char    *name)
{
  g_autofree char *dir = NULL;
  const char *base = self->data_dir;

  if (base == NULL)
    {
      if (self->temp_dir == NULL)
        {
          g_autoptr(GError) error = NULL;

          self->temp_dir = g_dir_make_tmp ("clapboard-sim-XXXXXX", &error);
          if (self->temp_dir == NULL)
            {
              g_warning ("Cannot make a data directory: %s", error->message);
              self->temp_dir = g_build_filename (g_get_tmp_dir (), "clapboard-sim", NULL);
            }
        }

      base = self->temp_dir;
    }

  dir = g_build_filename (base, subdir, NULL);
  g_mkdir_with_parents (dir, 0700);

  return g_build_filename (dir, name, NULL);
}

/* Timers run on the server's context, which need not be the global one. */
GSource *
_clap_sim_server_add_timeout (ClapSimServer  *self,
                              guint           ms,
                              GSourceFunc     func,
                              gpointer        data,
                              GDestroyNotify  destroy)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, destroy);
  g_source_set_static_name (source, "[clap-sim] timer");
  g_source_attach (source, self->context);

  return source;
}

void
_clap_sim_server_worker_begin (ClapSimServer *self)
{
  g_mutex_lock (&self->workers_lock);
  self->n_workers++;
  g_mutex_unlock (&self->workers_lock);
}

/* Called from the worker thread as its last use of @self. */
void
_clap_sim_server_worker_end (ClapSimServer *self)
{
  g_mutex_lock (&self->workers_lock);
  self->n_workers--;
  g_cond_broadcast (&self->workers_cond);
  g_mutex_unlock (&self->workers_lock);
}

void
_clap_sim_server_log_request (ClapSimServer     *self,
                              SoupServerMessage *msg,
                              guint              status)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *path = g_uri_get_path (uri);
  const char *query = g_uri_get_query (uri);
  g_autofree char *shown = NULL;

  /* An upload URL's query is its signature: keep it out of logs. */
  if (query != NULL && g_str_has_prefix (path, "/api/"))
    shown = g_strdup_printf ("%s?%s", path, query);
  else
    shown = g_strdup (path);

  g_signal_emit (self, signals[REQUEST_HANDLED], 0,
                 soup_server_message_get_method (msg), shown, status);
}

char *
_clap_sim_server_random_id (const char *prefix,
                            guint       length)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  GString *id = g_string_new (prefix);

  for (guint i = 0; i < length; i++)
    g_string_append_c (id, alphabet[g_random_int_range (0, sizeof alphabet - 1)]);

  return g_string_free (id, FALSE);
}

/* Answers `{"code":…,"msg":…,"data":…}`, taking @data (NULL is JSON null). */
void
_clap_sim_respond_envelope (SoupServerMessage *msg,
                            guint              status,
                            int                code,
                            const char        *text,
                            JsonNode          *data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  char *body;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_int_value (builder, code);
  json_builder_set_member_name (builder, "msg");
  json_builder_add_string_value (builder, text);
  json_builder_set_member_name (builder, "data");
  if (data != NULL)
    json_builder_add_value (builder, data);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    body, strlen (body));
}

/* An error envelope whose code is the HTTP status, as the provider does. */
void
_clap_sim_respond_error (SoupServerMessage *msg,
                         guint              status,
                         const char        *format,
                         ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  _clap_sim_respond_envelope (msg, status, status, text, NULL);
}

void
_clap_sim_respond_success (SoupServerMessage *msg,
                           JsonObject        *data)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), data);

  _clap_sim_respond_envelope (msg, SOUP_STATUS_OK, 200, "success", node);
}

/* Errors of the storage routes (upload, files, results) look like S3's,
 * because that is what presigned URLs and CDN links answer. */
void
_clap_sim_respond_storage_error (SoupServerMessage *msg,
                                 guint              status,
                                 const char        *code,
                                 const char        *message)
{
  g_autofree char *escaped = g_markup_escape_text (message, -1);
  char *body;

  body = g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<Error><Code>%s</Code><Message>%s</Message></Error>\n",
                          code, escaped);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/xml", SOUP_MEMORY_TAKE,
                                    body, strlen (body));
}

/* Returns the request body as a JSON object, or NULL when it is not one. */
JsonObject *
_clap_sim_parse_json_object (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size;
  const char *data = g_bytes_get_data (bytes, &size);
  JsonNode *root;

  if (size == 0 || !json_parser_load_from_data (parser, data, size, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_object_ref (json_node_get_object (root));
}
