/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-session"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "clap-results-private.h"
#include "clap-session-private.h"
#include "clap-task-private.h"
#include "clap-transfer.h"
#include "clap-untrusted.h"
#include "clap-util-private.h"

/* The life of a take, the same for the window and the command line:
 * committed to the history as "submitting", inputs checked and uploaded,
 * created once (never resent by itself), polled, and its result downloaded
 * into the results folder as soon as it completes, because result links
 * expire. A take found "submitting" after a crash becomes "interrupted":
 * it may have been created and charged, so only the person may send it
 * again.
 */

#define MAX_DOWNLOAD_RETRY_MS (10 * 60 * 1000)

struct _ClapSession
{
  GObject       parent_instance;

  ClapStore    *store;
  ClapClient   *client;
  ClapPoller   *poller;
  char         *results_dir;
  char         *callback_url;     /* sent with every create, or NULL */
  GCancellable *cancellable;

  GQueue        download_queue;   /* ClapTask, waiting */
  GHashTable   *downloading;      /* ClapTask → GCancellable */
  GHashTable   *download_retries; /* ClapTask → attempts (uint) */
  guint         max_downloads;
  guint         n_submitting;

  guint64       cache_max_bytes;  /* 0: unbounded */
  guint         cache_max_days;
  gboolean      evicting;

  GHashTable   *elsewhere;        /* ClapTask set: another live process follows them */
  guint         elsewhere_id;
};

G_DEFINE_FINAL_TYPE (ClapSession, clap_session, G_TYPE_OBJECT)

enum {
  TASK_FINISHED,
  ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_downloads (ClapSession *self);
static void resume_task     (ClapSession *self,
                             ClapTask    *task);

static void
emit_error (ClapSession  *self,
            ClapTask     *task,
            const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_signal_emit (self, signals[ERROR], 0, task, error);
}

static void
on_task_finished (ClapPoller  *poller,
                  ClapTask    *task,
                  ClapSession *self)
{
  if (clap_task_needs_download (task))
    clap_session_download (self, task);
  g_signal_emit (self, signals[TASK_FINISHED], 0, task);
}

static void
on_poll_error (ClapPoller  *poller,
               ClapTask    *task,
               GError      *error,
               ClapSession *self)
{
  emit_error (self, task, error);
}

/* A query and its answer: kept with the take, for Request Details. */
static void
on_exchange (ClapPoller  *poller,
             ClapTask    *task,
             JsonNode    *exchange,
             ClapSession *self)
{
  clap_store_add_exchange (self->store, task, exchange);
}

static void
on_write_failed (ClapStore   *store,
                 GError      *error,
                 ClapSession *self)
{
  emit_error (self, NULL, error);
}

static void
clap_session_dispose (GObject *object)
{
  ClapSession *self = (ClapSession *) object;

  g_cancellable_cancel (self->cancellable);
  if (self->downloading != NULL)
    {
      GHashTableIter iter;
      GCancellable *cancellable;

      g_hash_table_iter_init (&iter, self->downloading);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &cancellable))
        g_cancellable_cancel (cancellable);
    }
  g_queue_clear_full (&self->download_queue, g_object_unref);
  g_clear_handle_id (&self->elsewhere_id, g_source_remove);
  if (self->elsewhere != NULL)
    g_hash_table_remove_all (self->elsewhere);
  if (self->poller != NULL)
    g_signal_handlers_disconnect_by_data (self->poller, self);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);

  G_OBJECT_CLASS (clap_session_parent_class)->dispose (object);
}

static void
clap_session_finalize (GObject *object)
{
  ClapSession *self = (ClapSession *) object;

  g_clear_object (&self->store);
  g_clear_object (&self->client);
  g_clear_object (&self->poller);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->downloading, g_hash_table_unref);
  g_clear_pointer (&self->download_retries, g_hash_table_unref);
  g_clear_pointer (&self->elsewhere, g_hash_table_unref);
  g_free (self->results_dir);
  g_free (self->callback_url);

  G_OBJECT_CLASS (clap_session_parent_class)->finalize (object);
}

static void
clap_session_class_init (ClapSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = clap_session_dispose;
  object_class->finalize = clap_session_finalize;

  /* A take the service finished (completed or failed). */
  signals[TASK_FINISHED] =
    g_signal_new ("task-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CLAP_TYPE_TASK);

  /* Something the person should be told (the take may be NULL). */
  signals[ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, CLAP_TYPE_TASK, G_TYPE_ERROR);
}

static void
clap_session_init (ClapSession *self)
{
  self->cancellable = g_cancellable_new ();
  self->downloading = g_hash_table_new_full (NULL, NULL, g_object_unref, g_object_unref);
  self->download_retries = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->elsewhere = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->max_downloads = 2;
}

/* A session over @store, talking through @client (replaceable: a new key),
 * keeping results in @results_dir (NULL: beside the history). */
ClapSession *
clap_session_new (ClapStore  *store,
                  ClapClient *client,
                  const char *results_dir)
{
  ClapSession *self;

  g_return_val_if_fail (CLAP_IS_STORE (store), NULL);
  g_return_val_if_fail (CLAP_IS_CLIENT (client), NULL);

  self = g_object_new (CLAP_TYPE_SESSION, NULL);
  self->store = g_object_ref (store);
  self->client = g_object_ref (client);
  self->poller = clap_poller_new (client);

  if (results_dir != NULL)
    self->results_dir = g_strdup (results_dir);
  else
    {
      g_autofree char *dir = g_path_get_dirname (clap_store_get_path (store));
      self->results_dir = g_build_filename (dir, "results", NULL);
    }

  g_signal_connect (self->poller, "task-finished", G_CALLBACK (on_task_finished), self);
  g_signal_connect (self->poller, "error", G_CALLBACK (on_poll_error), self);
  g_signal_connect (self->poller, "exchange", G_CALLBACK (on_exchange), self);
  g_signal_connect (self->store, "write-failed", G_CALLBACK (on_write_failed), self);
  g_signal_connect_swapped (self->store, "changed-elsewhere", G_CALLBACK (resume_task), self);

  return self;
}

ClapStore *
clap_session_get_store (ClapSession *self)
{
  g_return_val_if_fail (CLAP_IS_SESSION (self), NULL);
  return self->store;
}

ClapClient *
clap_session_get_client (ClapSession *self)
{
  g_return_val_if_fail (CLAP_IS_SESSION (self), NULL);
  return self->client;
}

/* Switches to a new client (a new key or address); polling resumes on it. */
void
clap_session_set_client (ClapSession *self,
                         ClapClient  *client)
{
  g_return_if_fail (CLAP_IS_SESSION (self));
  g_return_if_fail (CLAP_IS_CLIENT (client));

  if (g_set_object (&self->client, client))
    {
      clap_poller_set_client (self->poller, client);
      clap_poller_resume (self->poller);
    }
}

ClapPoller *
clap_session_get_poller (ClapSession *self)
{
  g_return_val_if_fail (CLAP_IS_SESSION (self), NULL);
  return self->poller;
}

const char *
clap_session_get_results_dir (ClapSession *self)
{
  g_return_val_if_fail (CLAP_IS_SESSION (self), NULL);
  return self->results_dir;
}

void
clap_session_set_max_downloads (ClapSession *self,
                                guint        max_downloads)
{
  g_return_if_fail (CLAP_IS_SESSION (self));
  self->max_downloads = MAX (max_downloads, 1);
  start_downloads (self);
}

/* Cache ---------------------------------------------------------------------- */

/* Bounds the results folder to @max_bytes. Only clips the person saved
 * elsewhere, or older than @max_days whose link still works (so they can be
 * fetched again), are ever removed: never the only copy of a result. */
void
clap_session_set_cache_limits (ClapSession *self,
                               guint64      max_bytes,
                               guint        max_days)
{
  g_return_if_fail (CLAP_IS_SESSION (self));

  self->cache_max_bytes = max_bytes;
  self->cache_max_days = max_days;
  clap_session_enforce_cache (self);
}

typedef struct {
  char    *uid;
  char    *task_id;
  char    *path;
  gint64   complete_time;
  gboolean evictable;
  goffset  size;
  gboolean evicted;
} CacheEntry;

static void
cache_entry_free (CacheEntry *entry)
{
  g_free (entry->uid);
  g_free (entry->task_id);
  g_free (entry->path);
  g_free (entry);
}

static gint
oldest_first (gconstpointer a,
              gconstpointer b)
{
  const CacheEntry *ea = *(const CacheEntry **) a;
  const CacheEntry *eb = *(const CacheEntry **) b;

  return ea->complete_time < eb->complete_time ? -1 : ea->complete_time > eb->complete_time;
}

/* Worker: measures the clips, removes the oldest evictable ones until the
 * folder fits. Reads no take, only the snapshot taken on the main thread. */
static void
evict_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GPtrArray *entries = task_data;
  ClapSession *self = source_object;
  guint64 total = 0;

  for (guint i = 0; i < entries->len; i++)
    {
      CacheEntry *entry = g_ptr_array_index (entries, i);
      GStatBuf st;

      if (g_lstat (entry->path, &st) == 0)
        {
          entry->size = st.st_size;
          total += (guint64) st.st_size;
        }
    }

  g_ptr_array_sort (entries, oldest_first);
  for (guint i = 0; i < entries->len && total > self->cache_max_bytes; i++)
    {
      CacheEntry *entry = g_ptr_array_index (entries, i);

      if (!entry->evictable || entry->size == 0)
        continue;
      /* Checked again where it is removed: only a file of ours, never what a
       * link points to. */
      if (_clap_results_remove (self->results_dir, entry->uid, entry->task_id, entry->path))
        {
          entry->evicted = TRUE;
          total -= (guint64) entry->size;
        }
    }

  g_task_return_boolean (task, TRUE);
}

static void
evicted (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  ClapSession *self = CLAP_SESSION (source);
  GPtrArray *entries = g_task_get_task_data (G_TASK (result));
  gint64 now = g_get_real_time () / 1000;

  for (guint i = 0; i < entries->len; i++)
    {
      CacheEntry *entry = g_ptr_array_index (entries, i);
      ClapTask *task;

      if (!entry->evicted)
        continue;
      task = clap_store_find_by_uid (self->store, entry->uid);
      if (task != NULL && g_strcmp0 (clap_task_get_local_file (task), entry->path) == 0)
        {
          g_debug ("Evicted %s from the cache", entry->path);
          clap_task_set_evicted_time (task, now);
          clap_task_set_local_file (task, NULL);
        }
    }

  self->evicting = FALSE;
}

/* Checks the cache against its limits, in a worker thread. */
void
clap_session_enforce_cache (ClapSession *self)
{
  g_autoptr(GTask) task = NULL;
  GPtrArray *entries;
  gint64 now = g_get_real_time () / 1000;
  gint64 max_age = (gint64) self->cache_max_days * 24 * 3600 * 1000;
  guint n;

  g_return_if_fail (CLAP_IS_SESSION (self));

  if (self->cache_max_bytes == 0 || self->evicting)
    return;

  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) cache_entry_free);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ClapTask) take = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      const char *path = clap_task_get_local_file (take);
      CacheEntry *entry;
      gboolean saved, refetchable;

      if (!_clap_results_is_own (self->results_dir, clap_task_get_uid (take),
                                 clap_task_get_task_id (take), path, FALSE))
        continue;

      saved = clap_task_get_saved_time (take) > 0;
      refetchable = self->cache_max_days > 0 &&
                    now - clap_task_get_complete_time (take) > max_age &&
                    now < clap_task_get_result_expiry (take);

      entry = g_new0 (CacheEntry, 1);
      entry->uid = g_strdup (clap_task_get_uid (take));
      entry->task_id = g_strdup (clap_task_get_task_id (take));
      entry->path = g_strdup (path);
      entry->complete_time = clap_task_get_complete_time (take);
      entry->evictable = saved || refetchable;
      g_ptr_array_add (entries, entry);
    }

  self->evicting = TRUE;
  task = g_task_new (self, NULL, evicted, NULL);
  g_task_set_task_data (task, entries, (GDestroyNotify) g_ptr_array_unref);
  g_task_run_in_thread (task, evict_thread);
}

/* The callback_url every create carries from now on (NULL: the request's
 * own, usually none): where the callback receiver can be reached. */
void
clap_session_set_callback_url (ClapSession *self,
                               const char  *callback_url)
{
  g_return_if_fail (CLAP_IS_SESSION (self));

  g_free (self->callback_url);
  self->callback_url = g_strdup (callback_url);
}

const char *
clap_session_get_callback_url (ClapSession *self)
{
  g_return_val_if_fail (CLAP_IS_SESSION (self), NULL);
  return self->callback_url;
}

/* Submission --------------------------------------------------------------- */

typedef struct {
  ClapSession *session;
  ClapRequest *request;   /* inputs become URLs once uploaded */
  GPtrArray   *tasks;     /* waiting for their create, in order */
  guint        n_added;
  gboolean     add_failed;
  guint        next;
} Submit;

static void
submit_free (Submit *submit)
{
  submit->session->n_submitting--;
  g_clear_object (&submit->session);
  g_clear_object (&submit->request);
  g_clear_pointer (&submit->tasks, g_ptr_array_unref);
  g_free (submit);
}

/* The service answered no, or nothing was sent: failed takes cost nothing. */
static void
fail_not_sent (ClapSession  *self,
               ClapTask     *task,
               const GError *error)
{
  /* The error first: whoever watches the state then knows why. */
  emit_error (self, task, error);
  clap_task_set_fail_message (task, error->message);
  clap_task_set_state (task, CLAP_TASK_STATE_FAILED);
}

/* Whether an error of a create leaves the take possibly created. */
static gboolean
create_error_is_uncertain (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return TRUE;
  if (error->domain != CLAP_CLIENT_ERROR)
    return FALSE;

  switch (error->code)
    {
    case CLAP_CLIENT_ERROR_NETWORK:
    case CLAP_CLIENT_ERROR_TIMEOUT:
    case CLAP_CLIENT_ERROR_PROTOCOL:
    case CLAP_CLIENT_ERROR_SERVER:
    case CLAP_CLIENT_ERROR_TOO_LARGE: /* sent, and the answer was not read */
      return TRUE;
    default:
      return FALSE;
    }
}

static const char *
interrupted_message (void)
{
  /* Shown under the state "Submission interrupted". */
  return _("It may have been created and charged: check your provider dashboard before sending "
           "it again.");
}

/* The create may have been received: the take is never resent by itself.
 * Whoever watches the session is told @message, what the take says, not
 * the bare @error (whose advice to "try again" would mislead). */
static void
interrupt (ClapSession  *self,
           ClapTask     *task,
           const GError *error,
           const char   *message)
{
  g_autoptr(GError) told = g_error_new_literal (error->domain, error->code, message);

  clap_task_set_state (task, CLAP_TASK_STATE_INTERRUPTED);
  clap_task_set_fail_message (task, message);
  emit_error (self, task, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? error : told);
}

typedef struct {
  ClapSession *session;
  ClapTask    *task;
} IdRecord;

static IdRecord *
id_record_new (ClapSession *self,
               ClapTask    *task)
{
  IdRecord *record = g_new0 (IdRecord, 1);

  record->session = g_object_ref (self);
  record->task = g_object_ref (task);
  return record;
}

/* The history took the new task id, or only its journal did: then the
 * person is told where the id is. The take goes on being followed. */
static void
id_recorded (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  IdRecord *record = user_data;
  g_autoptr(GError) error = NULL;

  if (!clap_store_save_finish (CLAP_STORE (source), result, &error))
    emit_error (record->session, record->task, error);

  g_object_unref (record->session);
  g_object_unref (record->task);
  g_free (record);
}

static void submit_next (Submit *submit);

static void
created (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Submit *submit = user_data;
  ClapSession *self = submit->session;
  ClapTask *task = g_ptr_array_index (submit->tasks, submit->next - 1);
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(JsonNode) exchange = NULL;
  g_autoptr(GError) error = NULL;

  info = clap_client_create_finish (CLAP_CLIENT (source), result, &error);
  exchange = clap_client_dup_exchange (result);
  if (exchange != NULL)
    clap_store_add_exchange (self->store, task, exchange);

  if (info != NULL && !clap_task_id_is_valid (info->task_id))
    {
      /* It was very likely created: the service said yes. But an id that
       * reads as a path, or is empty, is never used. */
      g_autofree char *shown = clap_untrusted_escape (info->task_id, 80);

      g_clear_error (&error);
      g_set_error (&error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
                   _("The service accepted the take but gave it a task id Clapboard cannot use "
                     "(“%s”), so it cannot be followed. It may have been created and charged: "
                     "check your provider dashboard before sending it again."),
                   shown ? shown : "");
      interrupt (self, task, error, error->message);
    }
  else if (info != NULL)
    {
      clap_task_set_fail_message (task, NULL);
      /* A take being created has no id yet: nothing to refuse. */
      clap_task_apply_info (task, info, NULL);
      if (clap_task_get_create_time (task) == 0)
        clap_task_set_create_time (task, g_get_real_time () / 1000);
      /* The paid id goes to the history now, through its journal: a full
       * disk cannot lose it. */
      clap_store_save_created_async (self->store, task, NULL, id_recorded,
                                     id_record_new (self, task));
      clap_poller_add (self->poller, task);
    }
  else if (g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL))
    {
      /* Something answered, so the request arrived; what it said cannot be
       * used (not the envelope, or a task id that is not usable). */
      g_autofree char *message =
        g_strdup_printf (_("The service answered, but Clapboard could not use its answer: %s It "
                           "may have been created and charged: check your provider dashboard "
                           "before sending it again."), error->message);

      interrupt (self, task, error, message);
    }
  else if (create_error_is_uncertain (error))
    {
      g_autofree char *reason = clap_client_error_dup_reason (error);
      g_autofree char *message = g_strdup_printf ("%s (%s)", interrupted_message (), reason);

      interrupt (self, task, error, message);
    }
  else
    {
      fail_not_sent (self, task, error);
    }

  submit_next (submit);
}

/* Takes are created one after the other: a burst would meet rate limits. */
static void
submit_next (Submit *submit)
{
  ClapSession *self = submit->session;

  if (submit->next >= submit->tasks->len)
    {
      submit_free (submit);
      return;
    }

  submit->next++;
  clap_client_create_async (self->client, submit->request, self->cancellable, created, submit);
}

static void
uploaded (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Submit *submit = user_data;
  g_autoptr(GError) error = NULL;

  if (!clap_transfer_upload_inputs_finish (CLAP_CLIENT (source), result, &error))
    {
      for (guint i = 0; i < submit->tasks->len; i++)
        fail_not_sent (submit->session, g_ptr_array_index (submit->tasks, i), error);
      submit_free (submit);
      return;
    }

  submit_next (submit);
}

static void
added (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  Submit *submit = user_data;
  g_autoptr(GError) error = NULL;

  if (!clap_store_add_finish (CLAP_STORE (source), result, &error) && !submit->add_failed)
    {
      /* Never send what the history could not keep. */
      submit->add_failed = TRUE;
      for (guint i = 0; i < submit->tasks->len; i++)
        fail_not_sent (submit->session, g_ptr_array_index (submit->tasks, i), error);
    }

  if (++submit->n_added < submit->tasks->len)
    return;

  if (submit->add_failed)
    {
      submit_free (submit);
      return;
    }

  clap_transfer_upload_inputs_async (submit->session->client, submit->request,
                                     submit->session->cancellable, uploaded, submit);
}

static Submit *
submit_new (ClapSession *self,
            ClapRequest *request)
{
  Submit *submit = g_new0 (Submit, 1);

  self->n_submitting++;
  submit->session = g_object_ref (self);
  submit->request = clap_request_copy (request);
  /* Only the copy that is sent: the history keeps the request without it,
   * since the receiver's address may change before a retry. */
  if (self->callback_url != NULL)
    clap_request_set_callback_url (submit->request, self->callback_url);
  submit->tasks = g_ptr_array_new_with_free_func (g_object_unref);
  return submit;
}

/* Submits @n_takes takes of @request (copied). Each is in the history
 * before anything is sent; its progress shows in the take itself. */
void
clap_session_submit (ClapSession *self,
                     ClapRequest *request,
                     guint        n_takes)
{
  Submit *submit;
  guint n;

  g_return_if_fail (CLAP_IS_SESSION (self));
  g_return_if_fail (CLAP_IS_REQUEST (request));

  submit = submit_new (self, request);
  n = CLAMP (n_takes, 1, 4);

  for (guint i = 0; i < n; i++)
    {
      ClapTask *task = clap_task_new_for_request (request);

      _clap_task_set_owner (task, _clap_process_token ());
      g_ptr_array_add (submit->tasks, task);
    }

  /* Added oldest first, so the first take ends up lowest in the list. */
  for (guint i = 0; i < n; i++)
    clap_store_add_async (self->store, g_ptr_array_index (submit->tasks, i), self->cancellable,
                          added, submit);
}

/* Only takes that were surely not created, or that the person checked
 * after an interrupted submission, may be sent again, and only by them. */
gboolean
clap_session_can_retry (ClapSession *self,
                        ClapTask    *task)
{
  ClapTaskState state = clap_task_get_state (task);

  return state == CLAP_TASK_STATE_INTERRUPTED ||
         (state == CLAP_TASK_STATE_FAILED && clap_task_get_task_id (task) == NULL);
}

static void
retry_saved (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Submit *submit = user_data;
  ClapTask *task = g_ptr_array_index (submit->tasks, 0);
  g_autoptr(GError) error = NULL;

  if (!clap_store_save_finish (CLAP_STORE (source), result, &error))
    {
      fail_not_sent (submit->session, task, error);
      submit_free (submit);
      return;
    }

  clap_transfer_upload_inputs_async (submit->session->client, submit->request,
                                     submit->session->cancellable, uploaded, submit);
}

void
clap_session_retry (ClapSession *self,
                    ClapTask    *task)
{
  g_autoptr(ClapRequest) request = NULL;
  Submit *submit;

  g_return_if_fail (CLAP_IS_SESSION (self));
  g_return_if_fail (clap_session_can_retry (self, task));

  request = clap_task_dup_request (task);
  submit = submit_new (self, request);
  g_ptr_array_add (submit->tasks, g_object_ref (task));

  _clap_task_set_owner (task, _clap_process_token ());
  _clap_task_begin_attempt (task);
  clap_task_set_state (task, CLAP_TASK_STATE_SUBMITTING);
  clap_task_set_fail_message (task, NULL);
  clap_task_set_error_message (task, NULL);
  clap_task_set_task_id (task, NULL);

  /* The SUBMITTING state is on disk before the request leaves. */
  clap_store_save_async (self->store, task, self->cancellable, retry_saved, submit);
}

/* Whether another process that is still running submitted @task: the
 * window and clapboard-cli share the history, and each follows its own. */
static gboolean
followed_elsewhere (ClapTask *task)
{
  const char *owner = _clap_task_get_owner (task);

  return owner != NULL && g_strcmp0 (owner, _clap_process_token ()) != 0 &&
         _clap_process_token_is_alive (owner);
}

static gboolean
check_elsewhere (gpointer user_data)
{
  ClapSession *self = user_data;
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  ClapTask *task;

  g_hash_table_iter_init (&iter, self->elsewhere);
  while (g_hash_table_iter_next (&iter, (gpointer *) &task, NULL))
    if (!followed_elsewhere (task))
      {
        g_ptr_array_add (gone, g_object_ref (task));
        g_hash_table_iter_remove (&iter);
      }

  if (g_hash_table_size (self->elsewhere) == 0)
    self->elsewhere_id = 0;

  /* Their process ended (or crashed) before them: this one takes over. */
  for (guint i = 0; i < gone->len; i++)
    resume_task (self, g_ptr_array_index (gone, i));

  return self->elsewhere_id != 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* The history records which files were made for a take; what it says is
 * checked again before it is believed. A file that is gone (cleaned by
 * hand) is fetched again while its link works; a path that is not a file
 * Clapboard made (an older version named files after the service's task
 * id, which a hostile answer turned into "../../Videos/x") is forgotten,
 * never used, replaced or removed. */
static void
check_files (ClapSession *self,
             ClapTask    *task)
{
  const char *uid = clap_task_get_uid (task);
  const char *task_id = clap_task_get_task_id (task);
  const char *clip = clap_task_get_local_file (task);
  const char *thumbnail = clap_task_get_thumbnail_file (task);

  if (clip != NULL && !_clap_results_is_own (self->results_dir, uid, task_id, clip, TRUE))
    {
      g_debug ("%s is gone or is not a file Clapboard made: fetched again if it can be", clip);
      clap_task_set_local_file (task, NULL);
      clap_task_set_progress (task, 0.0);
    }
  if (thumbnail != NULL &&
      !_clap_results_is_own (self->results_dir, uid, task_id, thumbnail, TRUE))
    clap_task_set_thumbnail_file (task, NULL);
}

/* Whether the link of a take that finished without one may still come:
 * not once its result would have expired anyway. */
static gboolean
link_may_come (ClapTask *task)
{
  gint64 finished = clap_task_get_complete_time (task);

  if (finished <= 0)
    finished = clap_task_get_submit_time (task);
  return g_get_real_time () / 1000 < finished + CLAP_RESULT_LIFETIME_MS;
}

/* Picks up @task where it stands: at start-up, or when another process
 * wrote it. A take another running process submitted is left to it, and
 * taken over if that process ends first. */
static void
resume_task (ClapSession *self,
             ClapTask    *task)
{
  ClapTaskState state = clap_task_get_state (task);
  gboolean unfinished = state == CLAP_TASK_STATE_SUBMITTING || clap_task_state_is_active (state) ||
                        clap_task_needs_download (task);

  if (unfinished && followed_elsewhere (task))
    {
      g_hash_table_add (self->elsewhere, g_object_ref (task));
      if (self->elsewhere_id == 0)
        {
          self->elsewhere_id = g_timeout_add_seconds (5, check_elsewhere, self);
          g_source_set_name_by_id (self->elsewhere_id, "[clap-session] followed elsewhere");
        }
      return;
    }
  g_hash_table_remove (self->elsewhere, task);

  check_files (self, task);

  switch (state)
    {
    case CLAP_TASK_STATE_SUBMITTING:
      /* Its submitter is gone (a crash, kill -9): it may have been sent.
       * A submission this process is making is left alone. */
      if (!_clap_process_token_is_alive (_clap_task_get_owner (task)))
        {
          clap_task_set_state (task, CLAP_TASK_STATE_INTERRUPTED);
          clap_task_set_fail_message (task, interrupted_message ());
        }
      break;

    case CLAP_TASK_STATE_PENDING:
    case CLAP_TASK_STATE_PROCESSING:
      if (clap_task_id_is_valid (clap_task_get_task_id (task)))
        clap_poller_add (self->poller, task);
      else
        {
          /* Kept by an older version: shown, never sent back. */
          g_autofree char *shown = clap_untrusted_escape (clap_task_get_task_id (task), 80);
          g_autofree char *message =
            g_strdup_printf (_("The service gave this take a task id Clapboard cannot use "
                               "(“%s”), so it is not asked about. Check your provider "
                               "dashboard."), shown ? shown : "");

          clap_task_set_error_message (task, message);
        }
      break;

    case CLAP_TASK_STATE_COMPLETED:
      if (clap_task_needs_download (task))
        clap_session_download (self, task);
      else if (clap_task_is_missing_link (task) && link_may_come (task))
        /* Asked once now, then for a while by the poller. */
        clap_poller_add (self->poller, task);
      break;

    case CLAP_TASK_STATE_FAILED:
    case CLAP_TASK_STATE_INTERRUPTED:
    default:
      break;
    }
}

/* Picks up every take that was not final when the last run ended. */
void
clap_session_resume (ClapSession *self)
{
  guint n;

  g_return_if_fail (CLAP_IS_SESSION (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ClapTask) task = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      resume_task (self, task);
    }
}

/* Takes another running Clapboard follows, which this session leaves to it. */
guint
clap_session_get_n_elsewhere (ClapSession *self)
{
  g_return_val_if_fail (CLAP_IS_SESSION (self), 0);
  return g_hash_table_size (self->elsewhere);
}

/* Downloads ---------------------------------------------------------------- */

typedef struct {
  ClapSession *session;
  ClapTask    *task;
  char        *path;
} Download;

static void
download_free (Download *download)
{
  g_clear_object (&download->session);
  g_clear_object (&download->task);
  g_free (download->path);
  g_free (download);
}

static void
download_progress (goffset  received,
                   goffset  total,
                   gpointer user_data)
{
  Download *download = user_data;
  double fraction;

  if (total <= 0)
    return;

  /* A fast download reports thousands of chunks a second; the row needs a
   * step of a per cent at most. */
  fraction = (double) received / total;
  if (fraction >= 1.0 || fraction - clap_task_get_progress (download->task) >= 0.01)
    clap_task_set_progress (download->task, fraction);
}

/* A download to try again later, by the session if it still exists: the
 * application replaces its session when the key or the service changes. */
typedef struct {
  GWeakRef  session;
  ClapTask *task;
} RetryLater;

static void
retry_later_free (gpointer data)
{
  RetryLater *later = data;

  g_weak_ref_clear (&later->session);
  g_object_unref (later->task);
  g_free (later);
}

static gboolean
retry_download_cb (gpointer user_data)
{
  RetryLater *later = user_data;
  g_autoptr(ClapSession) self = g_weak_ref_get (&later->session);

  if (self != NULL && !g_cancellable_is_cancelled (self->cancellable) &&
      clap_task_needs_download (later->task))
    clap_session_download (self, later->task);
  return G_SOURCE_REMOVE;
}

static void
thumbnail_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Download *download = user_data;

  if (clap_client_download_finish (CLAP_CLIENT (source), result, NULL))
    clap_task_set_thumbnail_file (download->task, download->path);
  download_free (download);
}

/* What the service sent was refused for what it is, not for a passing
 * fault: fetching it again would only bring the same. */
static gboolean
download_error_is_refusal (const GError *error)
{
  return g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_TOO_LARGE) ||
         g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NOT_VIDEO) ||
         g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_INSECURE_URL);
}

static gboolean
download_error_is_final (const GError *error)
{
  return g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_EXPIRED) ||
         download_error_is_refusal (error);
}

static void
download_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Download *download = user_data;
  /* The download may hold the last reference to the session. */
  g_autoptr(ClapSession) self = g_object_ref (download->session);
  ClapTask *task = download->task;
  g_autoptr(GError) error = NULL;

  g_hash_table_remove (self->downloading, task);

  if (clap_client_download_finish (CLAP_CLIENT (source), result, &error))
    {
      g_hash_table_remove (self->download_retries, task);
      clap_task_set_error_message (task, NULL);
      clap_task_set_local_file (task, download->path);
      clap_task_set_progress (task, 1.0);
      clap_session_enforce_cache (self);

      if (clap_task_get_thumbnail_url (task) != NULL && clap_task_get_thumbnail_file (task) == NULL)
        {
          Download *thumb = g_new0 (Download, 1);
          g_autoptr(GFile) file = NULL;

          thumb->session = g_object_ref (self);
          thumb->task = g_object_ref (task);
          thumb->path = _clap_results_build_path (self->results_dir, clap_task_get_uid (task),
                                                  CLAP_RESULT_THUMBNAIL);
          file = g_file_new_for_path (thumb->path);
          clap_client_download_async (self->client, clap_task_get_thumbnail_url (task), file,
                                      CLAP_THUMBNAIL_MAX_BYTES, CLAP_DOWNLOAD_KIND_PICTURE,
                                      NULL, NULL, NULL, self->cancellable, thumbnail_done, thumb);
        }
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      guint attempts = GPOINTER_TO_UINT (g_hash_table_lookup (self->download_retries, task)) + 1;

      clap_task_set_error_message (task, error->message);
      clap_task_set_progress (task, 0.0);
      /* Kept in the history: neither a later start nor `resume` fetches it
       * again by itself; "Download Again" does, when asked. */
      if (download_error_is_refusal (error))
        clap_task_set_refused_time (task, g_get_real_time () / 1000);
      emit_error (self, task, error);

      /* A link that expired will not come back, nor will a body past its
       * cap or one that is not a video become another; a full disk or a
       * dead network may: try again later, less and less often. The .part
       * file keeps what arrived. */
      if (!download_error_is_final (error))
        {
          guint delay = MIN (15000u << MIN (attempts, 6u), (guint) MAX_DOWNLOAD_RETRY_MS);
          RetryLater *later = g_new0 (RetryLater, 1);

          g_hash_table_replace (self->download_retries, g_object_ref (task),
                                GUINT_TO_POINTER (attempts));
          g_weak_ref_init (&later->session, self);
          later->task = g_object_ref (task);
          g_timeout_add_full (G_PRIORITY_LOW, delay, retry_download_cb, later, retry_later_free);
        }
    }

  download_free (download);
  start_downloads (self);
}

gboolean
_clap_session_will_retry_download (ClapSession *self,
                                   ClapTask    *task)
{
  return g_hash_table_contains (self->download_retries, task);
}

static void
start_one (ClapSession *self,
           ClapTask    *task)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  GCancellable *cancellable;
  Download *download;

  /* Named after the take's own uid, never after anything the service
   * said. A uid that cannot name a file is a damaged history. */
  path = _clap_results_build_path (self->results_dir, clap_task_get_uid (task), CLAP_RESULT_CLIP);
  if (path == NULL)
    {
      g_autoptr(GError) error =
        g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                     _("This take’s record in the history is damaged: its identifier cannot "
                       "name a file, so its clip is not downloaded. Save it with "
                       "`clapboard-cli download` instead."));
      clap_task_set_error_message (task, error->message);
      emit_error (self, task, error);
      return;
    }

  cancellable = g_cancellable_new ();
  if (g_mkdir_with_parents (self->results_dir, 0700) != 0)
    {
      int saved = errno;
      g_autoptr(GError) error =
        g_error_new (CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_DISK,
                     _("The results folder “%s” could not be made: %s"), self->results_dir,
                     g_strerror (saved));
      clap_task_set_error_message (task, error->message);
      emit_error (self, task, error);
      g_object_unref (cancellable);
      return;
    }

  download = g_new0 (Download, 1);
  download->session = g_object_ref (self);
  download->task = g_object_ref (task);
  download->path = g_steal_pointer (&path);
  file = g_file_new_for_path (download->path);

  /* Only a finished download is renamed there: another process (sharing
   * the history) fetched it already. A link or anything but a regular
   * file is not adopted: the download replaces it. */
  if (_clap_results_is_own (self->results_dir, clap_task_get_uid (task), NULL, download->path,
                            TRUE))
    {
      clap_task_set_error_message (task, NULL);
      clap_task_set_local_file (task, download->path);
      download_free (download);
      g_object_unref (cancellable);
      return;
    }

  g_hash_table_insert (self->downloading, g_object_ref (task), cancellable);
  g_signal_connect_object (self->cancellable, "cancelled", G_CALLBACK (g_cancellable_cancel),
                           cancellable, G_CONNECT_SWAPPED);
  clap_client_download_async (self->client, clap_task_get_result_url (task), file,
                              _clap_results_max_bytes (task), CLAP_DOWNLOAD_KIND_VIDEO,
                              download_progress, download, NULL, cancellable, download_done,
                              download);
}

static void
start_downloads (ClapSession *self)
{
  while (g_hash_table_size (self->downloading) < self->max_downloads &&
         !g_queue_is_empty (&self->download_queue))
    {
      g_autoptr(ClapTask) task = g_queue_pop_head (&self->download_queue);

      if (clap_task_needs_download (task))
        start_one (self, task);
    }
}

/* Downloads the result of a completed take into the results folder, now or
 * as soon as a download slot is free. */
void
clap_session_download (ClapSession *self,
                       ClapTask    *task)
{
  g_return_if_fail (CLAP_IS_SESSION (self));
  g_return_if_fail (CLAP_IS_TASK (task));

  if (!clap_task_needs_download (task) ||
      g_hash_table_contains (self->downloading, task) ||
      g_queue_find (&self->download_queue, task) != NULL)
    return;

  g_queue_push_tail (&self->download_queue, g_object_ref (task));
  start_downloads (self);
}

static gboolean
shown_by_another (ClapSession *self,
                  ClapTask    *task,
                  const char  *path)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ClapTask) other = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (other != task && (g_strcmp0 (clap_task_get_local_file (other), path) == 0 ||
                            g_strcmp0 (clap_task_get_thumbnail_file (other), path) == 0))
        return TRUE;
    }
  return FALSE;
}

/* Removes a take from the history, with the files Clapboard made for it. */
void
clap_session_remove (ClapSession *self,
                     ClapTask    *task)
{
  GCancellable *cancellable;
  g_autofree char *uid_clip = NULL;
  g_autofree char *uid_thumbnail = NULL;
  const char *files[4];

  g_return_if_fail (CLAP_IS_SESSION (self));

  cancellable = g_hash_table_lookup (self->downloading, task);
  if (cancellable != NULL)
    g_cancellable_cancel (cancellable);
  if (g_queue_remove (&self->download_queue, task))
    g_object_unref (task);
  clap_poller_remove (self->poller, task);
  g_hash_table_remove (self->elsewhere, task);

  /* Only files Clapboard made for this take; a file another take of the
   * history still shows (two takes of an older history given the same
   * task id shared one) stays. */
  files[0] = clap_task_get_local_file (task);
  files[1] = clap_task_get_thumbnail_file (task);
  files[2] = uid_clip = _clap_results_build_path (self->results_dir, clap_task_get_uid (task),
                                                  CLAP_RESULT_CLIP);
  files[3] = uid_thumbnail = _clap_results_build_path (self->results_dir,
                                                       clap_task_get_uid (task),
                                                       CLAP_RESULT_THUMBNAIL);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    if (files[i] != NULL && !shown_by_another (self, task, files[i]))
      _clap_results_remove (self->results_dir, clap_task_get_uid (task),
                            clap_task_get_task_id (task), files[i]);

  clap_store_remove (self->store, task);
}

/* A callback said @task_id changed: confirm with a query (nothing signs
 * callbacks), for every take the service gave that id. FALSE when no take
 * of the history has it. */
gboolean
clap_session_hint (ClapSession *self,
                   const char  *task_id)
{
  g_autoptr(GPtrArray) takes = NULL;

  g_return_val_if_fail (CLAP_IS_SESSION (self), FALSE);

  takes = clap_store_find_all_by_task_id (self->store, task_id);
  for (guint i = 0; i < takes->len; i++)
    clap_poller_poll_now (self->poller, g_ptr_array_index (takes, i));
  return takes->len > 0;
}

/* Submissions and downloads under way (the CLI waits for none left). */
guint
clap_session_get_n_busy (ClapSession *self)
{
  g_return_val_if_fail (CLAP_IS_SESSION (self), 0);
  return self->n_submitting + g_hash_table_size (self->downloading) +
         g_queue_get_length (&self->download_queue);
}
