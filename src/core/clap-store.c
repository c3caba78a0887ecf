/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-store"

#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "clap-id-journal-private.h"
#include "clap-store-private.h"
#include "clap-untrusted.h"
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

G_DEFINE_QUARK (clap-store-error-quark, clap_store_error)

typedef enum {
  OP_UPSERT,
  OP_DELETE,
  OP_EXCHANGE,
  OP_FLUSH,
  OP_QUIT,
} OpKind;

typedef struct {
  OpKind          kind;
  ClapTaskRecord  record;
  GTask          *task;     /* OP_UPSERT of an add: completed once committed */
  gboolean        created;  /* OP_UPSERT of a take the service just created */
  char           *exchange; /* OP_EXCHANGE: its JSON, for record.uid, of record.attempt */
  gint64          time;
} Op;

struct _ClapStore
{
  GObject       parent_instance;

  char         *path;
  gboolean      read_only;  /* clap_store_open_for_reading(): no writer */
  GPtrArray    *items;      /* ClapTask, newest first */
  GHashTable   *by_task_id; /* task id → GPtrArray of ClapTask (borrowed): the service may
                            * give two takes one id */
  GHashTable   *indexed;    /* ClapTask (borrowed) → the task id it is found by */
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

  /* The writer's: task ids not in the history yet are kept in the journal
   * first (see clap-id-journal.c). */
  ClapIdJournal *journal;
  GHashTable   *ids_on_disk;   /* uid → the task id the history has */
  GHashTable   *journal_slots; /* uid → JournalSlot */
  GPtrArray    *recovered;     /* ClapTask given its id by the journal at open */

  GMutex        lock;       /* guards the counters below */
  GCond         drained;
  guint         pending;
  guint64       n_writes;
};

typedef struct {
  guint  slot;
  char  *task_id;
} JournalSlot;

static void
journal_slot_free (JournalSlot *slot)
{
  g_free (slot->task_id);
  g_free (slot);
}

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

static void
op_free (Op *op)
{
  _clap_task_record_clear (&op->record);
  g_clear_object (&op->task);
  g_free (op->exchange);
  g_free (op);
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

/* The truth, when the history could not take a task id the service gave:
 * where the id is, and what will record it. */
static void
set_id_error (ClapStore   *self,
              const char  *task_id,
              gboolean     kept,
              GError     **error)
{
  g_autoptr(GError) cause = g_steal_pointer (error);
  const char *journal = _clap_id_journal_get_path (self->journal);

  if (kept && g_error_matches (cause, CLAP_STORE_ERROR, CLAP_STORE_ERROR_FULL))
    g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_ID_KEPT,
                 _("The service created the take (task id %s) but the history could not record "
                   "it: the disk is full. The id is kept in %s; once there is space, "
                   "`clapboard-cli resume` or the window records and follows it."),
                 task_id, journal);
  else if (kept)
    g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_ID_KEPT,
                 _("The service created the take (task id %s) but the history could not record "
                   "it (%s). The id is kept in %s; once the history can be written, "
                   "`clapboard-cli resume` or the window records and follows it."),
                 task_id, cause->message, journal);
  else
    g_set_error (error, CLAP_STORE_ERROR, cause->code,
                 _("The service created the take (task id %s) but neither the history nor %s "
                   "could record it (%s). Note the id, and check your provider dashboard."),
                 task_id, journal, cause->message);
}

/* Writes a whole take. A task id the history does not have yet is kept in
 * the journal first, and let go once the history has it. */
static gboolean
write_take (ClapStore  *self,
            Op         *op,
            GError    **error)
{
  const char *uid = op->record.uid;
  const char *task_id = op->record.task_id;
  JournalSlot *slot = g_hash_table_lookup (self->journal_slots, uid);
  gboolean new_id = task_id != NULL &&
                    g_strcmp0 (g_hash_table_lookup (self->ids_on_disk, uid), task_id) != 0;
  ClapWriteResult written;

  if (new_id && (slot == NULL || !g_str_equal (slot->task_id, task_id)))
    {
      g_autoptr(GError) journal_error = NULL;
      gint n = _clap_id_journal_keep (self->journal, uid, task_id, op->record.attempt,
                                      &journal_error);

      g_hash_table_remove (self->journal_slots, uid);
      slot = NULL;
      if (n >= 0)
        {
          slot = g_new0 (JournalSlot, 1);
          slot->slot = (guint) n;
          slot->task_id = g_strdup (task_id);
          g_hash_table_insert (self->journal_slots, g_strdup (uid), slot);
        }
      else
        g_debug ("%s", journal_error->message);
    }

  written = _clap_store_schema_upsert (self->db, &op->record, error);

  if (written == _CLAP_WRITE_DONE)
    {
      if (task_id != NULL)
        g_hash_table_replace (self->ids_on_disk, g_strdup (uid), g_strdup (task_id));
      else
        g_hash_table_remove (self->ids_on_disk, uid);

      if (slot != NULL && g_strcmp0 (slot->task_id, task_id) == 0)
        {
          _clap_id_journal_forget (self->journal, slot->slot, uid, slot->task_id);
          g_hash_table_remove (self->journal_slots, uid);
        }
      return TRUE;
    }

  if (written == _CLAP_WRITE_FAILED)
    {
      if (new_id)
        set_id_error (self, task_id, slot != NULL, error);
      /* The take of an add is written before its create is sent: say that
       * nothing was. */
      else if (op->task != NULL && !op->created &&
               g_error_matches (*error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_FULL))
        {
          g_clear_error (error);
          g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_FULL,
                       _("The history could not be written: the disk is full. Free some space; "
                         "nothing is sent until the history can keep the take."));
        }
      return FALSE;
    }

  /* Another process had written a newer version: left alone. What must be
   * on disk before money is spent is not there. */
  if (op->task != NULL && !op->created)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_CHANGED,
                   _("Another Clapboard changed this take at the same time; nothing was sent."));
      return FALSE;
    }

  g_debug ("Another process wrote a newer version of take %s", uid);
  return TRUE;
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
        ok = write_take (self, op, &error);
      else if (op->kind == OP_DELETE)
        ok = _clap_store_schema_delete (self->db, op->record.uid, &error);
      else if (op->kind == OP_EXCHANGE)
        ok = _clap_store_schema_add_exchange (self->db, op->record.uid, op->record.attempt,
                                              op->time, op->exchange, &error);

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
  if (self->read_only)
    {
      if (op->task != NULL)
        g_task_return_new_error (op->task, CLAP_STORE_ERROR, CLAP_STORE_ERROR_READ_ONLY,
                                 _("The history “%s” was opened to be read only."), self->path);
      op_free (op);
      return;
    }

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

/* What a take with the same task id as another says. */
static char *
duplicate_warning (const char *task_id)
{
  g_autofree char *shown = clap_untrusted_escape (task_id, 80);

  return g_strdup_printf (_("The service gave this take the same task id as another take (“%s”): "
                            "it may be the same clip. Check your provider dashboard."), shown);
}

static void
clear_duplicate_warning (ClapTask   *task,
                         const char *task_id)
{
  g_autofree char *warning = duplicate_warning (task_id);

  if (g_strcmp0 (clap_task_get_warning (task), warning) == 0)
    clap_task_set_warning (task, NULL);
}

static void
unindex_task (ClapStore *self,
              ClapTask  *task)
{
  g_autofree char *task_id = NULL;
  GPtrArray *takes;

  if (!g_hash_table_steal_extended (self->indexed, task, NULL, (gpointer *) &task_id))
    return;

  takes = g_hash_table_lookup (self->by_task_id, task_id);
  if (takes == NULL)
    return;

  g_ptr_array_remove (takes, task);
  clear_duplicate_warning (task, task_id);
  if (takes->len == 1)
    clear_duplicate_warning (g_ptr_array_index (takes, 0), task_id);
  else if (takes->len == 0)
    g_hash_table_remove (self->by_task_id, task_id);
}

/* Files @task under its task id. Two takes the service gave the same id
 * (two creates answered alike) are both kept, each with its own files,
 * and both say so: it may be one clip, charged once or twice. */
static void
index_task (ClapStore *self,
            ClapTask  *task)
{
  const char *task_id = clap_task_get_task_id (task);
  GPtrArray *takes;

  if (g_strcmp0 (g_hash_table_lookup (self->indexed, task), task_id) == 0)
    return;

  unindex_task (self, task);
  /* An id that is not usable finds nothing (see clap_task_id_is_valid()). */
  if (!clap_task_id_is_valid (task_id))
    return;

  takes = g_hash_table_lookup (self->by_task_id, task_id);
  if (takes == NULL)
    {
      takes = g_ptr_array_new ();
      g_hash_table_insert (self->by_task_id, g_strdup (task_id), takes);
    }
  g_ptr_array_add (takes, task);
  g_hash_table_insert (self->indexed, task, g_strdup (task_id));

  if (takes->len > 1)
    {
      g_autofree char *warning = duplicate_warning (task_id);

      g_debug ("%u takes have the task id %s", takes->len, task_id);
      for (guint i = 0; i < takes->len; i++)
        clap_task_set_warning (g_ptr_array_index (takes, i), warning);
    }
}

static void
on_task_notify (ClapTask   *task,
                GParamSpec *pspec,
                ClapStore  *self)
{
  /* Download progress is shown, not kept. */
  if (g_str_equal (pspec->name, "progress"))
    return;

  if (g_str_equal (pspec->name, "task-id"))
    index_task (self, task);

  /* What another process wrote is on disk already; a store that only
   * reads keeps nothing. */
  if (self->importing || self->read_only)
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
  index_task (self, task);
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
  g_clear_pointer (&self->indexed, g_hash_table_unref);
  g_clear_pointer (&self->ids_on_disk, g_hash_table_unref);
  g_clear_pointer (&self->journal_slots, g_hash_table_unref);
  g_clear_pointer (&self->recovered, g_ptr_array_unref);
  g_clear_pointer (&self->journal, _clap_id_journal_free);
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
  self->by_task_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_ptr_array_unref);
  self->indexed = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->ids_on_disk = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->journal_slots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) journal_slot_free);
  self->recovered = g_ptr_array_new_with_free_func (g_object_unref);
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

/* Moves a history that cannot be opened (damaged, or not a Clapboard
 * history) out of the way, with the files beside it (its write-ahead log,
 * shared memory and id journal), to "PATH.damaged-YYYYMMDD-HHMMSS": a new
 * history can start while the old one is kept whole, for a person or a
 * recovery tool. Nothing is deleted. Returns the new path of @path. */
char *
clap_store_set_aside (const char  *path,
                      GError     **error)
{
  static const char *const suffixes[] = { "", "-wal", "-shm", "-ids" };
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  g_autofree char *aside = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  /* A name of its own, even when set aside twice in a second. */
  for (guint n = 0; aside == NULL || g_file_test (aside, G_FILE_TEST_EXISTS); n++)
    {
      g_free (aside);
      aside = n == 0 ? g_strdup_printf ("%s.damaged-%s", path, stamp)
                     : g_strdup_printf ("%s.damaged-%s-%u", path, stamp, n);
    }

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *from = g_strconcat (path, suffixes[i], NULL);
      g_autofree char *to = g_strconcat (aside, suffixes[i], NULL);

      if (g_rename (from, to) != 0 && errno != ENOENT)
        {
          int saved = errno;

          g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_WRITE,
                       _("The history “%s” could not be set aside: %s"), from,
                       g_strerror (saved));
          return NULL;
        }
    }

  return g_steal_pointer (&aside);
}

/* Reads every take, newest first, and the stamp of the last write. Runs in
 * whichever thread opens the store. */
static GPtrArray *
load_tasks (sqlite3     *db,
            const char  *path,
            gint64      *last_stamp,
            GError     **error)
{
  g_autofree char *sql = _clap_store_schema_select (db, "ORDER BY submit_time DESC, id DESC");
  g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt = NULL;
  int rc;

  *last_stamp = 0;
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      _clap_store_set_open_error (db, path, error);
      return NULL;
    }

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ClapTaskRecord r = { 0 };

      _clap_store_schema_read (stmt, &r);
      *last_stamp = MAX (*last_stamp, r.stamp);
      if (r.uid != NULL)
        g_ptr_array_add (tasks, _clap_task_new_from_record (&r));
      _clap_task_record_clear (&r);
    }
  sqlite3_finalize (stmt);

  /* A history cut short fails here, at the first page that is not there. */
  if (rc != SQLITE_DONE)
    {
      _clap_store_set_open_error (db, path, error);
      return NULL;
    }

  return g_steal_pointer (&tasks);
}

/* Gives each take the task id the journal kept for it when the history
 * could not take it (a full disk between the create and its record): a
 * take left submitting or interrupted, of the same submission, gets its id
 * and is followed from now on. An id the history has is let go. Runs in
 * the thread that opens the store, before anything watches the takes. */
static void
recover_task_ids (ClapStore *self,
                  GPtrArray *loaded)
{
  g_autoptr(GPtrArray) entries = _clap_id_journal_read (self->journal);
  g_autoptr(GHashTable) by_uid = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < loaded->len; i++)
    {
      ClapTask *task = g_ptr_array_index (loaded, i);

      g_hash_table_insert (by_uid, (gpointer) clap_task_get_uid (task), task);
      if (clap_task_get_task_id (task) != NULL)
        g_hash_table_insert (self->ids_on_disk, g_strdup (clap_task_get_uid (task)),
                             g_strdup (clap_task_get_task_id (task)));
    }

  for (guint i = 0; i < entries->len; i++)
    {
      ClapIdEntry *entry = g_ptr_array_index (entries, i);
      ClapTask *task = g_hash_table_lookup (by_uid, entry->uid);
      ClapTaskState state;
      JournalSlot *slot;

      /* Not a take of this history: kept for the history it belongs to. */
      if (task == NULL)
        continue;

      if (g_strcmp0 (clap_task_get_task_id (task), entry->task_id) == 0)
        {
          if (!self->read_only)
            _clap_id_journal_forget (self->journal, entry->slot, entry->uid, entry->task_id);
          continue;
        }

      state = clap_task_get_state (task);
      if (clap_task_get_task_id (task) == NULL && _clap_task_get_attempt (task) == entry->attempt &&
          (state == CLAP_TASK_STATE_SUBMITTING || state == CLAP_TASK_STATE_INTERRUPTED))
        {
          g_debug ("Take %s gets its task id %s from %s", entry->uid, entry->task_id,
                   _clap_id_journal_get_path (self->journal));
          clap_task_set_task_id (task, entry->task_id);
          clap_task_set_fail_message (task, NULL);
          if (clap_task_get_create_time (task) == 0)
            clap_task_set_create_time (task, entry->time);
          clap_task_set_state (task, CLAP_TASK_STATE_PENDING);
        }
      else if (!self->read_only)
        {
          /* The take went on without it (it was sent again): the id of that
           * earlier submission is still the person's to know. */
          g_autofree char *warning =
            g_strdup_printf (_("An earlier submission of this take was created by the service as "
                               "task “%s”, which the history could not record then. Check your "
                               "provider dashboard."), entry->task_id);

          clap_task_set_warning (task, warning);
        }
      else
        continue;

      if (self->read_only)
        continue;

      slot = g_new0 (JournalSlot, 1);
      slot->slot = entry->slot;
      slot->task_id = g_strdup (entry->task_id);
      g_hash_table_replace (self->journal_slots, g_strdup (entry->uid), slot);
      g_ptr_array_add (self->recovered, g_object_ref (task));
    }
}

static ClapStore *
open_store (const char  *path,
            gboolean     read_only,
            GPtrArray  **loaded,
            GError     **error)
{
  g_autoptr(ClapStore) self = NULL;
  g_autofree char *journal_path = NULL;
  gint64 last_stamp = 0;
  sqlite3 *db = NULL;

  /* Nothing to read is an empty history, not an error. */
  if (read_only && !g_file_test (path, G_FILE_TEST_EXISTS))
    *loaded = g_ptr_array_new_with_free_func (g_object_unref);
  else
    {
      db = _clap_store_schema_open (path, read_only, error);
      if (db == NULL)
        return NULL;

      *loaded = load_tasks (db, path, &last_stamp, error);
      if (*loaded == NULL)
        {
          sqlite3_close (db);
          return NULL;
        }
    }

  self = g_object_new (CLAP_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  self->read_only = read_only;
  self->last_stamp = last_stamp;
  /* A store that only reads has no writer: its connection is the reader. */
  if (read_only)
    self->reader = db;
  else
    self->db = db;

  /* Its room is taken now, while there is some. */
  journal_path = g_strconcat (path, "-ids", NULL);
  self->journal = _clap_id_journal_open (journal_path, read_only);
  recover_task_ids (self, *loaded);

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
  g_autofree char *sql = NULL;
  g_autoptr(GPtrArray) changed = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt = NULL;

  if (get_reader (self) == NULL)
    return;

  sql = _clap_store_schema_select (self->reader, "WHERE stamp > ?1 ORDER BY stamp");
  if (sqlite3_prepare_v2 (self->reader, sql, -1, &stmt, NULL) != SQLITE_OK)
    return;

  sqlite3_bind_int64 (stmt, 1, self->last_stamp);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      ClapTaskRecord r = { 0 };
      ClapTaskRecord ours = { 0 };
      ClapTask *task;

      _clap_store_schema_read (stmt, &r);
      self->last_stamp = MAX (self->last_stamp, r.stamp);
      if (g_strcmp0 (r.writer, _clap_process_token ()) == 0 || r.uid == NULL)
        {
          _clap_task_record_clear (&r);
          continue;
        }

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

  if (!g_str_has_prefix (name, ours) || g_str_has_suffix (name, "-ids") || self->refresh_id != 0)
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

  if (!self->read_only)
    self->writer = g_thread_new ("clap-store-writer", writer_thread, self);

  /* What the journal gave back is written at once. */
  for (guint i = 0; i < self->recovered->len; i++)
    g_hash_table_add (self->dirty, g_object_ref (g_ptr_array_index (self->recovered, i)));
  g_ptr_array_set_size (self->recovered, 0);
  if (g_hash_table_size (self->dirty) > 0 && self->flush_id == 0)
    {
      self->flush_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, flush_idle, self, NULL);
      g_source_set_name_by_id (self->flush_id, "[clap-store] flush");
    }
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

  self = open_store (path, FALSE, &loaded, error);
  if (self != NULL)
    start (self, loaded);
  return self;
}

/* Opens the history at @path as it is, to read it only: nothing is
 * created, migrated or written, so it works in a read-only folder, and
 * with a history of another version. A history that does not exist is
 * empty. Changes to its takes are not kept; adding a take fails. */
ClapStore *
clap_store_open_for_reading (const char  *path,
                             GError     **error)
{
  g_autofree char *default_path = NULL;
  GPtrArray *loaded = NULL;
  ClapStore *self;

  if (path == NULL)
    path = default_path = clap_store_get_default_path ();

  self = open_store (path, TRUE, &loaded, error);
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

  opened->store = open_store (task_data, FALSE, &opened->loaded, &error);
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

  if (self->read_only)
    {
      g_task_return_new_error (completion, CLAP_STORE_ERROR, CLAP_STORE_ERROR_READ_ONLY,
                               _("The history “%s” was opened to be read only."), self->path);
      return;
    }

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

/* Writes @task, which the service just created: its task id is kept in a
 * journal beside the history first (room for it is taken when the history
 * is opened), so that a full disk cannot lose it. Completes once the
 * history has the id, or with CLAP_STORE_ERROR_ID_KEPT saying where the id
 * is when only the journal has it (the history records it once it can:
 * with the take's next change, or whenever a Clapboard opens it). Finish
 * with clap_store_save_finish(). */
void
clap_store_save_created_async (ClapStore           *self,
                               ClapTask            *task,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) completion = NULL;
  Op *op;

  g_return_if_fail (CLAP_IS_STORE (self));
  g_return_if_fail (CLAP_IS_TASK (task));

  completion = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (completion, clap_store_save_async);
  g_hash_table_remove (self->dirty, task);

  op = g_new0 (Op, 1);
  op->kind = OP_UPSERT;
  op->created = TRUE;
  _clap_task_snapshot (task, &op->record);
  op->task = g_object_ref (completion);
  enqueue (self, op);
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
  unindex_task (self, task);

  op = g_new0 (Op, 1);
  op->kind = OP_DELETE;
  op->record.uid = g_strdup (clap_task_get_uid (task));
  enqueue (self, op);

  g_ptr_array_remove_index (self->items, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

/* A take of the history the service gave @task_id, or NULL. When it gave
 * several takes that id, one of them: see
 * clap_store_find_all_by_task_id(). */
ClapTask *
clap_store_find_by_task_id (ClapStore  *self,
                            const char *task_id)
{
  GPtrArray *takes;

  g_return_val_if_fail (CLAP_IS_STORE (self), NULL);

  takes = task_id ? g_hash_table_lookup (self->by_task_id, task_id) : NULL;
  return takes != NULL ? g_ptr_array_index (takes, 0) : NULL;
}

/* Every take of the history the service gave @task_id (each with a
 * warning when there are several), in a new array; empty when none. */
GPtrArray *
clap_store_find_all_by_task_id (ClapStore  *self,
                                const char *task_id)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_object_unref);
  GPtrArray *takes;

  g_return_val_if_fail (CLAP_IS_STORE (self), found);

  takes = task_id ? g_hash_table_lookup (self->by_task_id, task_id) : NULL;
  for (guint i = 0; takes != NULL && i < takes->len; i++)
    g_ptr_array_add (found, g_object_ref (g_ptr_array_index (takes, i)));
  return found;
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

/* Keeps @exchange (a request and its answer, as the client describes it:
 * clap_client_dup_exchange()) with @task, for Request Details. Written in
 * order with the take's changes; a take no longer in the history keeps
 * nothing. */
void
clap_store_add_exchange (ClapStore *self,
                         ClapTask  *task,
                         JsonNode  *exchange)
{
  Op *op;

  g_return_if_fail (CLAP_IS_STORE (self));
  g_return_if_fail (CLAP_IS_TASK (task));

  if (exchange == NULL || !g_ptr_array_find (self->items, task, NULL))
    return;

  op = g_new0 (Op, 1);
  op->kind = OP_EXCHANGE;
  op->record.uid = g_strdup (clap_task_get_uid (task));
  op->record.attempt = _clap_task_get_attempt (task);
  /* Written out here: a JsonNode shares its objects, whose counts are
   * not safe across threads, with whatever it was copied from. */
  op->exchange = _clap_store_schema_exchange_to_text (exchange);
  op->time = g_get_real_time () / 1000;
  enqueue (self, op);
}

/* The exchanges the history keeps of the take @uid, oldest first, as they
 * are on disk now: a JSON array of {"seq", "time" (ms since the epoch),
 * "attempt", "exchange"}; an exchange that cannot be read back has an
 * "error" (a message) instead. Each is parsed as untrusted input. */
JsonNode *
clap_store_dup_exchanges (ClapStore   *self,
                          const char  *uid,
                          GError     **error)
{
  g_return_val_if_fail (CLAP_IS_STORE (self), NULL);
  g_return_val_if_fail (uid != NULL, NULL);

  if (get_reader (self) == NULL)
    {
      g_set_error (error, CLAP_STORE_ERROR, CLAP_STORE_ERROR_OPEN,
                   _("The history “%s” could not be read."), self->path);
      return NULL;
    }

  return _clap_store_schema_read_exchanges (self->reader, uid, error);
}

/* Worker: its own read-only connection, so that the main thread's is never
 * shared; the parsing of up to 20 bodies of 160 KiB stays off the main loop. */
static void
dup_exchanges_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  ClapStore *self = source_object;
  const char *uid = task_data;
  sqlite3 *db = NULL;
  JsonNode *exchanges;
  GError *error = NULL;

  if (sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      sqlite3_close (db);
      g_task_return_new_error (task, CLAP_STORE_ERROR, CLAP_STORE_ERROR_OPEN,
                               _("The history “%s” could not be read."), self->path);
      return;
    }
  sqlite3_busy_timeout (db, 2000);

  exchanges = _clap_store_schema_read_exchanges (db, uid, &error);
  sqlite3_close (db);

  if (exchanges == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, exchanges, (GDestroyNotify) json_node_unref);
}

/* clap_store_dup_exchanges(), in a worker thread: for the window. */
void
clap_store_dup_exchanges_async (ClapStore           *self,
                                const char          *uid,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CLAP_IS_STORE (self));
  g_return_if_fail (uid != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, clap_store_dup_exchanges_async);
  g_task_set_task_data (task, g_strdup (uid), g_free);
  g_task_run_in_thread (task, dup_exchanges_thread);
}

JsonNode *
clap_store_dup_exchanges_finish (ClapStore     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
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
