/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-store"

#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "clap-store.h"
#include "clap-task-private.h"
#include "clap-util-private.h"

/* The history of takes: a GListModel (newest first) of ClapTask, kept in
 * SQLite. A take is money, so:
 * - a new take is committed (clap_store_add_async) before its create
 *   request may be sent;
 * - every later change of a take is written within a main-loop iteration,
 *   in order, by one writer thread with its own connection, so the main
 *   loop never waits for the disk;
 * - the database is in WAL mode with full syncs, and every write is an
 *   idempotent upsert of the whole row keyed by the take's uid, so a crash
 *   at any point leaves either the old or the new row, never half of one;
 * - the window and clapboard-cli share the history: a process never writes
 *   an older version of a take over what another one wrote (a later
 *   attempt wins, then the version that came further), and each process
 *   takes in what the others write, as it happens;
 * - a failed write (a full disk) is reported and retried with the next
 *   change; the take in memory loses nothing.
 */

#define SCHEMA_VERSION 4

G_DEFINE_QUARK (clap-store-error-quark, clap_store_error)

typedef enum {
  OP_UPSERT,
  OP_DELETE,
  OP_FLUSH,
  OP_QUIT,
} OpKind;

typedef struct {
  OpKind          kind;
  ClapTaskRecord  record;
  GTask          *task;     /* OP_UPSERT of an add: completed once committed */
} Op;

struct _ClapStore
{
  GObject       parent_instance;

  char         *path;
  GPtrArray    *items;      /* ClapTask, newest first */
  GHashTable   *by_task_id; /* task id → ClapTask (borrowed) */
  GHashTable   *dirty;      /* ClapTask set */
  guint         flush_id;

  GThread      *writer;
  GAsyncQueue  *queue;
  sqlite3      *db;         /* the writer's */
  sqlite3      *reader;     /* the main thread's, for settings read on demand */
  GMainContext *context;

  GFileMonitor *monitor;    /* the history's folder: other processes write */
  guint         refresh_id;
  gint64        last_stamp; /* the newest change taken in */
  gboolean      importing;

  GMutex        lock;       /* guards the counters below */
  GCond         drained;
  guint         pending;
  guint64       n_writes;
};

static void clap_store_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ClapStore, clap_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      clap_store_list_model_init))

enum {
  WRITE_FAILED,
  CHANGED_ELSEWHERE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *const schema_v1[] = {
  "CREATE TABLE takes ("
  "  id INTEGER PRIMARY KEY,"
  "  uid TEXT NOT NULL UNIQUE,"
  "  task_id TEXT,"
  "  state TEXT NOT NULL,"
  "  model TEXT,"
  "  prompt TEXT,"
  "  settings TEXT,"
  "  submit_time INTEGER NOT NULL DEFAULT 0,"
  "  create_time INTEGER NOT NULL DEFAULT 0,"
  "  complete_time INTEGER NOT NULL DEFAULT 0,"
  "  result_urls TEXT,"
  "  thumbnail_url TEXT,"
  "  local_file TEXT,"
  "  thumbnail_file TEXT,"
  "  fail_message TEXT,"
  "  error_message TEXT,"
  "  cost INTEGER NOT NULL DEFAULT 0,"
  "  saved_time INTEGER NOT NULL DEFAULT 0"
  ")",
  "CREATE INDEX takes_task_id ON takes (task_id)",
  NULL
};

/* Version 2: the cache may drop a clip that is saved elsewhere. */
static const char *const schema_v2[] = {
  "ALTER TABLE takes ADD COLUMN evicted_time INTEGER NOT NULL DEFAULT 0",
  NULL
};

/* Version 3: which process is submitting a take, so that another one
 * resuming the same history leaves a live submission alone. */
static const char *const schema_v3[] = {
  "ALTER TABLE takes ADD COLUMN owner TEXT",
  NULL
};

/* Version 4: several processes, one history. Each write says which
 * process made it (writer), of which submission (attempt), how far the take
 * had come (progress, see _clap_task_record_progress()) and when, in the
 * order of all writes (stamp). */
static const char *const schema_v4[] = {
  "ALTER TABLE takes ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0",
  "ALTER TABLE takes ADD COLUMN progress INTEGER NOT NULL DEFAULT 0",
  "ALTER TABLE takes ADD COLUMN writer TEXT",
  "ALTER TABLE takes ADD COLUMN stamp INTEGER NOT NULL DEFAULT 0",
  "CREATE INDEX takes_stamp ON takes (stamp)",
  NULL
};

/* Each entry brings the schema from version i to i + 1. */
static const char *const *const migrations[] = {
  schema_v1,
  schema_v2,
  schema_v3,
  schema_v4,
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == SCHEMA_VERSION);

static void
op_free (Op *op)
{
  _clap_task_record_clear (&op->record);
  g_clear_object (&op->task);
  g_free (op);
}

static gboolean
exec (sqlite3     *db,
      const char  *sql,
      GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_WRITE,
                   _("The history could not be written: %s"), message ? message : "?");
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static gint
get_user_version (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  gint version = -1;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

/* Opens @path, creating or migrating the schema in one transaction. */
static sqlite3 *
open_database (const char  *path,
               GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  sqlite3 *db = NULL;
  gint version;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_OPEN,
                   _("The history folder “%s” could not be made: %s"), dir, g_strerror (saved));
      return NULL;
    }

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                       SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_OPEN,
                   _("The history “%s” could not be opened: %s"), path,
                   db ? sqlite3_errmsg (db) : "?");
      sqlite3_close (db);
      return NULL;
    }

  /* Another process (clapboard-cli) may write at the same time. */
  sqlite3_busy_timeout (db, 10000);

  if (!exec (db, "PRAGMA journal_mode=WAL", error) ||
      !exec (db, "PRAGMA synchronous=FULL", error) ||
      !exec (db, "BEGIN IMMEDIATE", error))
    goto fail;

  version = get_user_version (db);
  if (version > SCHEMA_VERSION)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_TOO_NEW,
                   _("The history “%s” was written by a newer version of Clapboard."), path);
      exec (db, "ROLLBACK", NULL);
      goto fail;
    }

  for (gint v = MAX (version, 0); v < SCHEMA_VERSION; v++)
    {
      g_autofree char *pragma = g_strdup_printf ("PRAGMA user_version=%d", v + 1);

      for (guint i = 0; migrations[v][i] != NULL; i++)
        if (!exec (db, migrations[v][i], error))
          {
            exec (db, "ROLLBACK", NULL);
            goto fail;
          }
      if (!exec (db, pragma, error))
        {
          exec (db, "ROLLBACK", NULL);
          goto fail;
        }
    }

  if (!exec (db, "COMMIT", error))
    goto fail;

  return db;

fail:
  g_prefix_error (error, "%s: ", path);
  sqlite3_close (db);
  return NULL;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static char *
urls_to_json (GStrv urls)
{
  g_autoptr(JsonArray) array = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (urls == NULL)
    return NULL;

  array = json_array_new ();
  for (guint i = 0; urls[i] != NULL; i++)
    json_array_add_string_element (array, urls[i]);
  node = json_node_init_array (json_node_alloc (), array);
  return json_to_string (node, FALSE);
}

static GStrv
urls_from_json (const char *text)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;

  if (text == NULL || (node = json_from_string (text, NULL)) == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  array = json_node_get_array (node);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        g_strv_builder_add (builder, json_node_get_string (element));
    }
  return json_array_get_length (array) > 0 ? g_strv_builder_end (builder) : NULL;
}

/* SQLite says "database or disk is full" or "disk I/O error"; a person
 * needs to know what to do. */
static void
set_write_error (sqlite3  *db,
                 GError  **error)
{
  int code = sqlite3_extended_errcode (db);

  if (code == SQLITE_FULL || code == SQLITE_IOERR_WRITE || code == SQLITE_IOERR_FSYNC ||
      (code & 0xff) == SQLITE_FULL)
    g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_WRITE,
                 _("The history could not be written: the disk is full or failing. Free some "
                   "space; nothing is sent until the history can keep it."));
  else
    g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_WRITE,
                 _("The history could not be written: %s"), sqlite3_errmsg (db));
}

typedef enum {
  WRITTEN,
  OVERTAKEN,  /* another process had written a newer version: left alone */
  NOT_WRITTEN,
} WriteResult;

static WriteResult
write_upsert (sqlite3               *db,
              const ClapTaskRecord  *r,
              GError               **error)
{
  static const char sql[] =
    "INSERT INTO takes (uid, task_id, state, model, prompt, settings, submit_time, create_time,"
    " complete_time, result_urls, thumbnail_url, local_file, thumbnail_file, fail_message,"
    " error_message, cost, saved_time, evicted_time, owner, attempt, progress, writer, stamp)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
    " ?20, ?21, ?22, (SELECT IFNULL (MAX (stamp), 0) + 1 FROM takes))"
    " ON CONFLICT (uid) DO UPDATE SET task_id = ?2, state = ?3, model = ?4, prompt = ?5,"
    " settings = COALESCE (?6, settings), submit_time = ?7, create_time = ?8, complete_time = ?9, result_urls = ?10,"
    " thumbnail_url = ?11, local_file = ?12, thumbnail_file = ?13, fail_message = ?14,"
    " error_message = ?15, cost = ?16, saved_time = ?17, evicted_time = ?18, owner = ?19,"
    " attempt = ?20, progress = ?21, writer = ?22,"
    " stamp = (SELECT IFNULL (MAX (stamp), 0) + 1 FROM takes)"
    /* Another process's newer version of the take stays. */
    " WHERE takes.writer IS ?22 OR ?20 > takes.attempt"
    " OR (?20 = takes.attempt AND ?21 >= takes.progress)";
  g_autofree char *urls = urls_to_json (r->result_urls);
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_text (stmt, 1, r->uid);
      bind_text (stmt, 2, r->task_id);
      bind_text (stmt, 3, clap_task_state_to_string (r->state));
      bind_text (stmt, 4, r->model);
      bind_text (stmt, 5, r->prompt);
      bind_text (stmt, 6, r->settings_json);
      sqlite3_bind_int64 (stmt, 7, r->submit_time);
      sqlite3_bind_int64 (stmt, 8, r->create_time);
      sqlite3_bind_int64 (stmt, 9, r->complete_time);
      bind_text (stmt, 10, urls);
      bind_text (stmt, 11, r->thumbnail_url);
      bind_text (stmt, 12, r->local_file);
      bind_text (stmt, 13, r->thumbnail_file);
      bind_text (stmt, 14, r->fail_message);
      bind_text (stmt, 15, r->error_message);
      sqlite3_bind_int64 (stmt, 16, r->cost);
      sqlite3_bind_int64 (stmt, 17, r->saved_time);
      sqlite3_bind_int64 (stmt, 18, r->evicted_time);
      bind_text (stmt, 19, r->owner);
      sqlite3_bind_int64 (stmt, 20, r->attempt);
      sqlite3_bind_int (stmt, 21, _clap_task_record_progress (r));
      bind_text (stmt, 22, _clap_process_token ());
      rc = sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    {
      set_write_error (db, error);
      return NOT_WRITTEN;
    }
  return sqlite3_changes (db) > 0 ? WRITTEN : OVERTAKEN;
}

static gboolean
write_delete (sqlite3     *db,
              const char  *uid,
              GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, "DELETE FROM takes WHERE uid = ?1", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      bind_text (stmt, 1, uid);
      rc = sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    {
      set_write_error (db, error);
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  ClapStore *store;
  GError    *error;
  char      *uid;
} Failure;

static gboolean
report_failure (gpointer user_data)
{
  Failure *failure = user_data;
  ClapTask *task = clap_store_find_by_uid (failure->store, failure->uid);

  /* Keep the take dirty: its next change, or the next flush, writes it again. */
  if (task != NULL)
    g_hash_table_add (failure->store->dirty, g_object_ref (task));

  g_signal_emit (failure->store, signals[WRITE_FAILED], 0, failure->error);
  g_object_unref (failure->store);
  g_error_free (failure->error);
  g_free (failure->uid);
  g_free (failure);
  return G_SOURCE_REMOVE;
}

/* Runs @func on the store's main context, always later, never in this
 * thread: g_main_context_invoke() would run it here when nobody holds the
 * context, and the last reference of the store must never drop here. */
static void
in_main (ClapStore   *self,
         GSourceFunc  func,
         gpointer     data)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, NULL);
  g_source_set_static_name (source, "[clap-store] from writer");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

static gboolean
release_in_main (gpointer user_data)
{
  g_object_unref (user_data);
  return G_SOURCE_REMOVE;
}

static gpointer
writer_thread (gpointer user_data)
{
  ClapStore *self = user_data;

  for (;;)
    {
      Op *op = g_async_queue_pop (self->queue);
      g_autoptr(GError) error = NULL;
      gboolean ok = TRUE;

      if (op->kind == OP_QUIT)
        {
          op_free (op);
          break;
        }

      if (op->kind == OP_UPSERT)
        {
          WriteResult written = write_upsert (self->db, &op->record, &error);

          ok = written != NOT_WRITTEN;
          /* What must be on disk before money is spent is not there. */
          if (written == OVERTAKEN && op->task != NULL)
            {
              ok = FALSE;
              g_set_error (&error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_CHANGED,
                           _("Another Clapboard changed this take at the same time; "
                             "nothing was sent."));
            }
          else if (written == OVERTAKEN)
            g_debug ("Another process wrote a newer version of take %s", op->record.uid);
        }
      else if (op->kind == OP_DELETE)
        ok = write_delete (self->db, op->record.uid, &error);

      /* Counted before anyone can learn that the write happened. */
      if (ok && op->kind != OP_FLUSH)
        {
          g_mutex_lock (&self->lock);
          self->n_writes++;
          g_mutex_unlock (&self->lock);
        }

      if (op->task != NULL)
        {
          GTask *completion = g_steal_pointer (&op->task);

          if (ok)
            g_task_return_boolean (completion, TRUE);
          else
            g_task_return_error (completion, g_error_copy (error));

          /* The GTask holds the store: its last reference must not drop in
           * this thread, or the store would be disposed (and join) here. */
          in_main (self, release_in_main, completion);
        }
      else if (!ok)
        {
          Failure *failure = g_new0 (Failure, 1);

          g_debug ("%s", error->message);
          failure->store = g_object_ref (self);
          failure->error = g_steal_pointer (&error);
          failure->uid = g_strdup (op->record.uid);
          in_main (self, report_failure, failure);
        }

      g_mutex_lock (&self->lock);
      self->pending--;
      if (self->pending == 0)
        g_cond_broadcast (&self->drained);
      g_mutex_unlock (&self->lock);

      op_free (op);
    }

  return NULL;
}

static void
enqueue (ClapStore *self,
         Op        *op)
{
  g_mutex_lock (&self->lock);
  self->pending++;
  g_mutex_unlock (&self->lock);
  g_async_queue_push (self->queue, op);
}

static void
enqueue_upsert (ClapStore *self,
                ClapTask  *task,
                GTask     *completion)
{
  Op *op = g_new0 (Op, 1);

  op->kind = OP_UPSERT;
  _clap_task_snapshot (task, &op->record);
  op->task = completion ? g_object_ref (completion) : NULL;
  enqueue (self, op);
}

static void
flush_dirty (ClapStore *self)
{
  GHashTableIter iter;
  ClapTask *task;

  g_hash_table_iter_init (&iter, self->dirty);
  while (g_hash_table_iter_next (&iter, (gpointer *) &task, NULL))
    enqueue_upsert (self, task, NULL);
  g_hash_table_remove_all (self->dirty);
}

static gboolean
flush_idle (gpointer user_data)
{
  ClapStore *self = user_data;

  self->flush_id = 0;
  flush_dirty (self);
  return G_SOURCE_REMOVE;
}

static void
on_task_notify (ClapTask   *task,
                GParamSpec *pspec,
                ClapStore  *self)
{
  /* Download progress is shown, not kept. */
  if (g_str_equal (pspec->name, "progress"))
    return;

  if (g_str_equal (pspec->name, "task-id") && clap_task_get_task_id (task) != NULL)
    g_hash_table_replace (self->by_task_id, g_strdup (clap_task_get_task_id (task)), task);

  /* What another process wrote is on disk already. */
  if (self->importing)
    return;

  g_hash_table_add (self->dirty, g_object_ref (task));
  if (self->flush_id == 0)
    {
      self->flush_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, flush_idle, self, NULL);
      g_source_set_name_by_id (self->flush_id, "[clap-store] flush");
    }
}

static const char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return (const char *) sqlite3_column_text (stmt, column);
}

/* The main thread's own connection, for reads: a take's settings, what
 * other processes wrote. In WAL mode a reader never waits for a writer. */
static sqlite3 *
get_reader (ClapStore *self)
{
  if (self->reader == NULL)
    {
      if (sqlite3_open_v2 (self->path, &self->reader, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        {
          g_clear_pointer (&self->reader, sqlite3_close);
          return NULL;
        }
      sqlite3_busy_timeout (self->reader, 2000);
    }
  return self->reader;
}

static char *
load_settings (ClapTask *task,
               gpointer  data)
{
  ClapStore *self = data;
  sqlite3_stmt *stmt = NULL;
  char *json = NULL;

  if (get_reader (self) == NULL)
    return NULL;

  if (sqlite3_prepare_v2 (self->reader, "SELECT settings FROM takes WHERE uid = ?1", -1, &stmt,
                          NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, clap_task_get_uid (task), -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        json = g_strdup (column_text (stmt, 0));
    }
  sqlite3_finalize (stmt);
  return json;
}

static void
watch_task (ClapStore *self,
            ClapTask  *task)
{
  g_signal_connect_object (task, "notify", G_CALLBACK (on_task_notify), self, 0);
  if (clap_task_get_task_id (task) != NULL)
    g_hash_table_replace (self->by_task_id, g_strdup (clap_task_get_task_id (task)), task);
}

static void
clap_store_dispose (GObject *object)
{
  ClapStore *self = (ClapStore *) object;

  if (self->monitor != NULL)
    g_file_monitor_cancel (self->monitor);
  g_clear_object (&self->monitor);
  g_clear_handle_id (&self->refresh_id, g_source_remove);

  if (self->writer != NULL)
    {
      Op *quit = g_new0 (Op, 1);

      g_clear_handle_id (&self->flush_id, g_source_remove);
      flush_dirty (self);
      quit->kind = OP_QUIT;
      g_async_queue_push (self->queue, quit);
      g_thread_join (g_steal_pointer (&self->writer));
    }

  for (guint i = 0; self->items != NULL && i < self->items->len; i++)
    {
      ClapTask *task = g_ptr_array_index (self->items, i);

      /* Takes may outlive the store; their settings then stay unread. */
      _clap_task_set_settings_loader (task, NULL, NULL);
      g_signal_handlers_disconnect_by_data (task, self);
    }

  G_OBJECT_CLASS (clap_store_parent_class)->dispose (object);
}

static void
clap_store_finalize (GObject *object)
{
  ClapStore *self = (ClapStore *) object;

  g_clear_pointer (&self->db, sqlite3_close);
  g_clear_pointer (&self->reader, sqlite3_close);
  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->by_task_id, g_hash_table_unref);
  g_clear_pointer (&self->dirty, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->drained);
  g_free (self->path);

  G_OBJECT_CLASS (clap_store_parent_class)->finalize (object);
}

static void
clap_store_class_init (ClapStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = clap_store_dispose;
  object_class->finalize = clap_store_finalize;

  /* A change could not be written (the disk is full, say); the take keeps
   * it in memory and it is written again with the next change. */
  signals[WRITE_FAILED] =
    g_signal_new ("write-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);

  /* Another process (clapboard-cli, say) added the take, or wrote a newer
   * version of it, which the take now holds. */
  signals[CHANGED_ELSEWHERE] =
    g_signal_new ("changed-elsewhere", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CLAP_TYPE_TASK);
}

static void
clap_store_init (ClapStore *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_task_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->dirty = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->queue = g_async_queue_new_full ((GDestroyNotify) op_free);
  self->context = g_main_context_ref_thread_default ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->drained);
}

static GType
clap_store_get_item_type (GListModel *model)
{
  return CLAP_TYPE_TASK;
}

static guint
clap_store_get_n_items (GListModel *model)
{
  return CLAP_STORE (model)->items->len;
}

static gpointer
clap_store_get_item (GListModel *model,
                     guint       position)
{
  ClapStore *self = CLAP_STORE (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
clap_store_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = clap_store_get_item_type;
  iface->get_n_items = clap_store_get_n_items;
  iface->get_item = clap_store_get_item;
}

/* $CLAPBOARD_DATA_DIR/history.db, else $XDG_DATA_HOME/clapboard/history.db. */
char *
clap_store_get_default_path (void)
{
  const char *dir = g_getenv ("CLAPBOARD_DATA_DIR");

  if (dir != NULL && *dir != '\0')
    return g_build_filename (dir, "history.db", NULL);
  return g_build_filename (g_get_user_data_dir (), "clapboard", "history.db", NULL);
}

/* The columns a take is read from (its settings are read when needed),
 * then who wrote it and when. */
#define TAKE_COLUMNS \
  "id, uid, task_id, state, model, prompt, submit_time, create_time, complete_time," \
  " result_urls, thumbnail_url, local_file, thumbnail_file, fail_message, error_message," \
  " cost, saved_time, evicted_time, owner, attempt, writer, stamp"
#define COLUMN_UID 1
#define COLUMN_WRITER 20
#define COLUMN_STAMP 21

static void
read_record (sqlite3_stmt   *stmt,
             ClapTaskRecord *r)
{
  r->row_id = sqlite3_column_int64 (stmt, 0);
  r->uid = g_strdup (column_text (stmt, COLUMN_UID));
  r->task_id = g_strdup (column_text (stmt, 2));
  if (!clap_task_state_from_string (column_text (stmt, 3), &r->state))
    r->state = CLAP_TASK_STATE_INTERRUPTED;
  r->model = g_strdup (column_text (stmt, 4));
  r->prompt = g_strdup (column_text (stmt, 5));
  r->submit_time = sqlite3_column_int64 (stmt, 6);
  r->create_time = sqlite3_column_int64 (stmt, 7);
  r->complete_time = sqlite3_column_int64 (stmt, 8);
  r->result_urls = urls_from_json (column_text (stmt, 9));
  r->thumbnail_url = g_strdup (column_text (stmt, 10));
  r->local_file = g_strdup (column_text (stmt, 11));
  r->thumbnail_file = g_strdup (column_text (stmt, 12));
  r->fail_message = g_strdup (column_text (stmt, 13));
  r->error_message = g_strdup (column_text (stmt, 14));
  r->cost = sqlite3_column_int64 (stmt, 15);
  r->saved_time = sqlite3_column_int64 (stmt, 16);
  r->evicted_time = sqlite3_column_int64 (stmt, 17);
  r->owner = g_strdup (column_text (stmt, 18));
  r->attempt = sqlite3_column_int64 (stmt, 19);
}

/* Reads every take, newest first, and the stamp of the last write. Runs in
 * whichever thread opens the store. */
static GPtrArray *
load_tasks (sqlite3  *db,
            gint64   *last_stamp,
            GError  **error)
{
  static const char sql[] =
    "SELECT " TAKE_COLUMNS " FROM takes ORDER BY submit_time DESC, id DESC";
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt = NULL;
  int rc;

  *last_stamp = 0;
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_OPEN,
                   _("The history could not be read: %s"), sqlite3_errmsg (db));
      return NULL;
    }

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ClapTaskRecord r = { 0 };

      read_record (stmt, &r);
      *last_stamp = MAX (*last_stamp, sqlite3_column_int64 (stmt, COLUMN_STAMP));
      if (r.uid != NULL)
        g_ptr_array_add (tasks, _clap_task_new_from_record (&r));
      _clap_task_record_clear (&r);
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_DONE)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_OPEN,
                   _("The history could not be read: %s"), sqlite3_errmsg (db));
      return NULL;
    }

  return g_steal_pointer (&tasks);
}

static ClapStore *
open_store (const char  *path,
            GPtrArray  **loaded,
            GError     **error)
{
  g_autoptr(ClapStore) self = NULL;
  gint64 last_stamp;
  sqlite3 *db;

  db = open_database (path, error);
  if (db == NULL)
    return NULL;

  *loaded = load_tasks (db, &last_stamp, error);
  if (*loaded == NULL)
    {
      sqlite3_close (db);
      return NULL;
    }

  self = g_object_new (CLAP_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  self->db = db;
  self->last_stamp = last_stamp;
  return g_steal_pointer (&self);
}

/* A take another process added: in its place, newest first. */
static void
insert_task (ClapStore *self,
             ClapTask  *task)
{
  guint position = 0;

  while (position < self->items->len &&
         clap_task_get_submit_time (g_ptr_array_index (self->items, position)) >
         clap_task_get_submit_time (task))
    position++;

  _clap_task_set_settings_loader (task, load_settings, self);
  g_ptr_array_insert (self->items, position, g_object_ref (task));
  watch_task (self, task);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
}

/* Takes in what other processes wrote since the last look: new takes, and
 * newer versions of known ones. A take removed elsewhere stays here. */
static void
refresh (ClapStore *self)
{
  static const char sql[] =
    "SELECT " TAKE_COLUMNS " FROM takes WHERE stamp > ?1 ORDER BY stamp";
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt = NULL;

  if (get_reader (self) == NULL ||
      sqlite3_prepare_v2 (self->reader, sql, -1, &stmt, NULL) != SQLITE_OK)
    return;

  sqlite3_bind_int64 (stmt, 1, self->last_stamp);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      ClapTaskRecord r = { 0 };
      ClapTaskRecord ours = { 0 };
      ClapTask *task;

      self->last_stamp = MAX (self->last_stamp, sqlite3_column_int64 (stmt, COLUMN_STAMP));
      if (g_strcmp0 (column_text (stmt, COLUMN_WRITER), _clap_process_token ()) == 0 ||
          column_text (stmt, COLUMN_UID) == NULL)
        continue;

      read_record (stmt, &r);
      task = clap_store_find_by_uid (self, r.uid);
      if (task == NULL)
        {
          g_autoptr(ClapTask) added = _clap_task_new_from_record (&r);

          insert_task (self, added);
          g_ptr_array_add (changed, g_steal_pointer (&added));
        }
      else
        {
          /* Ours may be newer still: then it is written over theirs. */
          _clap_task_snapshot (task, &ours);
          if (r.attempt > ours.attempt ||
              (r.attempt == ours.attempt &&
               _clap_task_record_progress (&r) >= _clap_task_record_progress (&ours)))
            {
              self->importing = TRUE;
              _clap_task_apply_record (task, &r);
              self->importing = FALSE;
              g_ptr_array_add (changed, g_object_ref (task));
            }
        }
      _clap_task_record_clear (&r);
      _clap_task_record_clear (&ours);
    }
  sqlite3_finalize (stmt);

  for (guint i = 0; i < changed->len; i++)
    g_signal_emit (self, signals[CHANGED_ELSEWHERE], 0, g_ptr_array_index (changed, i));
}

static gboolean
refresh_cb (gpointer user_data)
{
  ClapStore *self = user_data;

  self->refresh_id = 0;
  refresh (self);
  return G_SOURCE_REMOVE;
}

/* A commit of any process reaches the write-ahead log: look a moment later,
 * once for a burst of writes. */
static void
on_folder_changed (GFileMonitor      *monitor,
                   GFile             *file,
                   GFile             *other,
                   GFileMonitorEvent  event,
                   ClapStore         *self)
{
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *ours = g_path_get_basename (self->path);

  if (!g_str_has_prefix (name, ours) || self->refresh_id != 0)
    return;

  self->refresh_id = g_timeout_add (100, refresh_cb, self);
  g_source_set_name_by_id (self->refresh_id, "[clap-store] refresh");
}

static void
start (ClapStore *self,
       GPtrArray *loaded)
{
  g_main_context_unref (self->context);
  self->context = g_main_context_ref_thread_default ();

  g_ptr_array_extend_and_steal (self->items, loaded);
  for (guint i = 0; i < self->items->len; i++)
    {
      ClapTask *task = g_ptr_array_index (self->items, i);

      _clap_task_set_settings_loader (task, load_settings, self);
      watch_task (self, task);
    }

  self->writer = g_thread_new ("clap-store-writer", writer_thread, self);
}

/* Opens (creating or migrating) the history at @path and loads it. Blocks:
 * the command line uses it; the application uses clap_store_open_async(). */
ClapStore *
clap_store_open (const char  *path,
                 GError     **error)
{
  g_autofree char *default_path = NULL;
  GPtrArray *loaded = NULL;
  ClapStore *self;

  if (path == NULL)
    path = default_path = clap_store_get_default_path ();

  self = open_store (path, &loaded, error);
  if (self != NULL)
    start (self, loaded);
  return self;
}

typedef struct {
  ClapStore *store;
  GPtrArray *loaded;
} Opened;

static void
opened_free (Opened *opened)
{
  g_clear_object (&opened->store);
  g_clear_pointer (&opened->loaded, g_ptr_array_unref);
  g_free (opened);
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  Opened *opened = g_new0 (Opened, 1);

  opened->store = open_store (task_data, &opened->loaded, &error);
  if (opened->store == NULL)
    {
      opened_free (opened);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, opened, (GDestroyNotify) opened_free);
}

void
clap_store_open_async (const char          *path,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, clap_store_open_async);
  g_task_set_task_data (task, path ? g_strdup (path) : clap_store_get_default_path (), g_free);
  g_task_run_in_thread (task, open_thread);
}

ClapStore *
clap_store_open_finish (GAsyncResult  *result,
                        GError       **error)
{
  Opened *opened = g_task_propagate_pointer (G_TASK (result), error);
  ClapStore *self;

  if (opened == NULL)
    return NULL;

  self = g_steal_pointer (&opened->store);
  start (self, g_steal_pointer (&opened->loaded));
  opened_free (opened);
  return self;
}

const char *
clap_store_get_path (ClapStore *self)
{
  g_return_val_if_fail (CLAP_IS_STORE (self), NULL);
  return self->path;
}

/* From now on, takes in what other processes write to the history as they
 * write it, and says so with ::changed-elsewhere. The application does; a
 * command-line run minds its own takes. */
void
clap_store_watch (ClapStore *self)
{
  g_autofree char *dir = NULL;
  g_autoptr(GFile) folder = NULL;

  g_return_if_fail (CLAP_IS_STORE (self));

  if (self->monitor != NULL)
    return;

  dir = g_path_get_dirname (self->path);
  folder = g_file_new_for_path (dir);
  /* Without a monitor the history still works; it only learns what other
   * processes wrote at the next start. */
  self->monitor = g_file_monitor_directory (folder, G_FILE_MONITOR_NONE, NULL, NULL);
  if (self->monitor != NULL)
    g_signal_connect_object (self->monitor, "changed", G_CALLBACK (on_folder_changed), self, 0);

  /* What was written between the load and now. */
  refresh (self);
}

/* Adds @task at the top of the history and completes once its row is
 * committed to disk: only then may its create request be sent. */
void
clap_store_add_async (ClapStore           *self,
                      ClapTask            *task,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) completion = NULL;

  g_return_if_fail (CLAP_IS_STORE (self));
  g_return_if_fail (CLAP_IS_TASK (task));

  completion = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (completion, clap_store_add_async);

  g_ptr_array_insert (self->items, 0, g_object_ref (task));
  watch_task (self, task);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, 1);

  enqueue_upsert (self, task, completion);
}

gboolean
clap_store_add_finish (ClapStore     *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Writes @task now and completes once it is committed. */
void
clap_store_save_async (ClapStore           *self,
                       ClapTask            *task,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) completion = NULL;

  g_return_if_fail (CLAP_IS_STORE (self));
  g_return_if_fail (CLAP_IS_TASK (task));

  completion = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (completion, clap_store_save_async);
  g_hash_table_remove (self->dirty, task);
  enqueue_upsert (self, task, completion);
}

gboolean
clap_store_save_finish (ClapStore     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Removes @task from the history (its files are the caller's to delete). */
void
clap_store_remove (ClapStore *self,
                   ClapTask  *task)
{
  guint position;
  Op *op;

  g_return_if_fail (CLAP_IS_STORE (self));

  if (!g_ptr_array_find (self->items, task, &position))
    return;

  /* The take may still be shown or reused: keep its settings, not the store. */
  clap_task_get_settings (task);
  _clap_task_set_settings_loader (task, NULL, NULL);
  g_signal_handlers_disconnect_by_data (task, self);
  g_hash_table_remove (self->dirty, task);
  if (clap_task_get_task_id (task) != NULL &&
      g_hash_table_lookup (self->by_task_id, clap_task_get_task_id (task)) == task)
    g_hash_table_remove (self->by_task_id, clap_task_get_task_id (task));

  op = g_new0 (Op, 1);
  op->kind = OP_DELETE;
  op->record.uid = g_strdup (clap_task_get_uid (task));
  enqueue (self, op);

  g_ptr_array_remove_index (self->items, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

ClapTask *
clap_store_find_by_task_id (ClapStore  *self,
                            const char *task_id)
{
  g_return_val_if_fail (CLAP_IS_STORE (self), NULL);
  return task_id ? g_hash_table_lookup (self->by_task_id, task_id) : NULL;
}

ClapTask *
clap_store_find_by_uid (ClapStore  *self,
                        const char *uid)
{
  g_return_val_if_fail (CLAP_IS_STORE (self), NULL);

  for (guint i = 0; uid != NULL && i < self->items->len; i++)
    if (g_str_equal (clap_task_get_uid (g_ptr_array_index (self->items, i)), uid))
      return g_ptr_array_index (self->items, i);
  return NULL;
}

/* Writes every pending change and waits until it is on disk: before the
 * command line exits, or the application quits. */
gboolean
clap_store_flush (ClapStore  *self,
                  GError    **error)
{
  g_return_val_if_fail (CLAP_IS_STORE (self), FALSE);

  g_clear_handle_id (&self->flush_id, g_source_remove);
  flush_dirty (self);

  g_mutex_lock (&self->lock);
  while (self->pending > 0)
    g_cond_wait (&self->drained, &self->lock);
  g_mutex_unlock (&self->lock);

  /* A failure reported meanwhile leaves its take dirty again. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  if (g_hash_table_size (self->dirty) > 0)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_WRITE,
                   _("Some changes could not be written to the history."));
      return FALSE;
    }

  return TRUE;
}

guint64
clap_store_get_n_writes (ClapStore *self)
{
  guint64 n;

  g_return_val_if_fail (CLAP_IS_STORE (self), 0);

  g_mutex_lock (&self->lock);
  n = self->n_writes;
  g_mutex_unlock (&self->lock);
  return n;
}
