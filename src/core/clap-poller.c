/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-poller"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "clap-poller.h"
#include "clap-untrusted.h"

/* One scheduler for every take the service is still working on. Each take
 * has its own next-due time that backs off (a take is asked about often at
 * first, then less: most take minutes); one timer fires for the earliest;
 * at most max-in-flight queries run at once; and when no take is active no
 * timer exists at all, so an idle application does no work.
 *
 * A take the service called completed without a link Clapboard can use is
 * asked about again, slowly (a minute, growing to ten), for a day after it
 * finished: some upstreams fill the link in late. Nothing is asked about
 * forever.
 *
 * An answer the take refuses (about another task) changes nothing; it is
 * said on the take and the take is asked about again, backing off as after
 * any bad answer.
 */

#define DEFAULT_FIRST_MS     2000
#define DEFAULT_MAX_MS       20000
#define DEFAULT_IN_FLIGHT    4
#define NOT_FOUND_LIMIT      3

#define LINK_FIRST_MS        (60 * 1000)
#define LINK_MAX_MS          (10 * 60 * 1000)
#define LINK_FOLLOW_MS       ((gint64) 24 * 3600 * 1000)

struct _ClapPoller
{
  GObject       parent_instance;

  ClapClient   *client;
  GHashTable   *entries; /* ClapTask → Entry */
  GCancellable *cancellable;
  guint         timer_id;

  guint         first_ms;
  guint         max_ms;
  guint         link_first_ms;  /* a take completed without a link */
  guint         link_max_ms;
  gint64        link_follow_ms;
  guint         max_in_flight;
  guint         n_in_flight;
  guint64       n_queries;
  gboolean      paused;
};

typedef struct {
  ClapTask *task;
  gint64    due_us;
  guint     interval_ms;
  guint     not_found;
  guint     failures;   /* transient failures in a row */
  guint     refused;    /* answers the take refused, in a row */
  char     *reported;   /* what this poller wrote in the take's error message */
  gint64    added_ms;   /* real time */
  gboolean  in_flight;
  gboolean  answered;   /* an answer came since it was added */
} Entry;

/* After this many failed polls in a row, the person hears of it (once). */
#define FAILURES_TO_REPORT 3

G_DEFINE_FINAL_TYPE (ClapPoller, clap_poller, G_TYPE_OBJECT)

enum {
  TASK_CHANGED,
  TASK_FINISHED,
  ERROR,
  EXCHANGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void reschedule (ClapPoller *self);

static void
entry_free (Entry *entry)
{
  g_clear_object (&entry->task);
  g_free (entry->reported);
  g_free (entry);
}

/* Writes @message on the take, or takes back what this poller wrote. */
static void
entry_report (Entry      *entry,
              const char *message)
{
  if (message == NULL && entry->reported != NULL &&
      g_strcmp0 (clap_task_get_error_message (entry->task), entry->reported) == 0)
    clap_task_set_error_message (entry->task, NULL);
  else if (message != NULL)
    clap_task_set_error_message (entry->task, message);

  g_free (entry->reported);
  entry->reported = g_strdup (message);
}

static void
clap_poller_dispose (GObject *object)
{
  ClapPoller *self = (ClapPoller *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_hash_table_remove_all (self->entries);

  G_OBJECT_CLASS (clap_poller_parent_class)->dispose (object);
}

static void
clap_poller_finalize (GObject *object)
{
  ClapPoller *self = (ClapPoller *) object;

  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->entries, g_hash_table_unref);

  G_OBJECT_CLASS (clap_poller_parent_class)->finalize (object);
}

static void
clap_poller_class_init (ClapPollerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = clap_poller_dispose;
  object_class->finalize = clap_poller_finalize;

  /* Something the history keeps changed on the take: write it. */
  signals[TASK_CHANGED] =
    g_signal_new ("task-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CLAP_TYPE_TASK);

  /* The take reached a final state and is no longer polled. */
  signals[TASK_FINISHED] =
    g_signal_new ("task-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CLAP_TYPE_TASK);

  /* An error polling cannot recover from by waiting (a rejected key): the
   * poller pauses until clap_poller_resume(). Also an outage that lasts,
   * and an answer the take refused. */
  signals[ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, CLAP_TYPE_TASK, G_TYPE_ERROR);

  /* A query and its answer (clap_client_dup_exchange()), to keep with the
   * take as its Request Details. */
  signals[EXCHANGE] =
    g_signal_new ("exchange", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, CLAP_TYPE_TASK, JSON_TYPE_NODE);
}

static void
clap_poller_init (ClapPoller *self)
{
  self->entries = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) entry_free);
  self->cancellable = g_cancellable_new ();
  self->first_ms = DEFAULT_FIRST_MS;
  self->max_ms = DEFAULT_MAX_MS;
  self->link_first_ms = LINK_FIRST_MS;
  self->link_max_ms = LINK_MAX_MS;
  self->link_follow_ms = LINK_FOLLOW_MS;
  self->max_in_flight = DEFAULT_IN_FLIGHT;
}

ClapPoller *
clap_poller_new (ClapClient *client)
{
  ClapPoller *self = g_object_new (CLAP_TYPE_POLLER, NULL);

  clap_poller_set_client (self, client);
  return self;
}

ClapClient *
clap_poller_get_client (ClapPoller *self)
{
  g_return_val_if_fail (CLAP_IS_POLLER (self), NULL);
  return self->client;
}

/* A new client (a new key or address): queries in flight on the old one
 * are cancelled and every take is asked about again soon. */
void
clap_poller_set_client (ClapPoller *self,
                        ClapClient *client)
{
  GHashTableIter iter;
  Entry *entry;

  g_return_if_fail (CLAP_IS_POLLER (self));

  if (!g_set_object (&self->client, client))
    return;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->n_in_flight = 0;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      entry->in_flight = FALSE;
      entry->interval_ms = self->first_ms;
      entry->due_us = g_get_monotonic_time ();
    }

  reschedule (self);
}

void
clap_poller_set_interval (ClapPoller *self,
                          guint       first_ms,
                          guint       max_ms)
{
  g_return_if_fail (CLAP_IS_POLLER (self));

  self->first_ms = MAX (first_ms, 10);
  self->max_ms = MAX (max_ms, self->first_ms);
}

/* How often, and how long after it finished, a take completed without a
 * link is asked about again (tests shorten it). */
void
clap_poller_set_link_interval (ClapPoller *self,
                               guint       first_ms,
                               guint       max_ms,
                               guint       follow_ms)
{
  g_return_if_fail (CLAP_IS_POLLER (self));

  self->link_first_ms = MAX (first_ms, 10);
  self->link_max_ms = MAX (max_ms, self->link_first_ms);
  self->link_follow_ms = follow_ms;
}

void
clap_poller_set_max_in_flight (ClapPoller *self,
                               guint       max_in_flight)
{
  g_return_if_fail (CLAP_IS_POLLER (self));

  self->max_in_flight = MAX (max_in_flight, 1);
  reschedule (self);
}

static void
back_off (ClapPoller *self,
          Entry      *entry,
          double      factor)
{
  guint first = self->first_ms;
  guint max = self->max_ms;

  if (clap_task_is_missing_link (entry->task))
    {
      first = self->link_first_ms;
      max = self->link_max_ms;
    }

  entry->interval_ms = (guint) CLAMP (entry->interval_ms * factor, (double) first, (double) max);
  entry->due_us = g_get_monotonic_time () + (gint64) entry->interval_ms * 1000;
}

/* Whether the day of asking again about a take without a link is over. */
static gboolean
link_wait_is_over (ClapPoller *self,
                   Entry      *entry)
{
  gint64 now = g_get_real_time () / 1000;
  gint64 completed = clap_task_get_complete_time (entry->task);
  gint64 since = completed > 0 && completed <= now ? completed : entry->added_ms;

  return now >= since + self->link_follow_ms;
}

static void
finish_entry (ClapPoller *self,
              ClapTask   *task)
{
  g_autoptr(ClapTask) keep = g_object_ref (task);

  g_hash_table_remove (self->entries, task);
  g_signal_emit (self, signals[TASK_FINISHED], 0, keep);
}

typedef struct {
  ClapPoller *poller;
  ClapTask   *task;
} QueryData;

static void
query_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  QueryData *data = user_data;
  g_autoptr(ClapPoller) self = data->poller;
  g_autoptr(ClapTask) task = data->task;
  g_autoptr(ClapTaskInfo) info = NULL;
  g_autoptr(JsonNode) exchange = NULL;
  g_autoptr(GError) error = NULL;
  ClapTaskState before;
  gboolean was_missing_link;
  Entry *entry;

  g_free (data);
  info = clap_client_query_finish (CLAP_CLIENT (source), result, &error);

  /* Cancelled: the poller or its client was replaced; nothing to do. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->n_in_flight--;

  exchange = clap_client_dup_exchange (result);
  if (exchange != NULL)
    g_signal_emit (self, signals[EXCHANGE], 0, task, exchange);

  entry = g_hash_table_lookup (self->entries, task);
  if (entry == NULL)
    {
      reschedule (self);
      return;
    }

  entry->in_flight = FALSE;
  before = clap_task_get_state (task);
  was_missing_link = clap_task_is_missing_link (task);

  if (info != NULL)
    {
      /* FALSE with an error: refused, see below. */
      if (clap_task_apply_info (task, info, &error))
        g_signal_emit (self, signals[TASK_CHANGED], 0, task);
    }

  if (info != NULL && error == NULL)
    {
      entry->answered = TRUE;
      entry->not_found = 0;
      entry->failures = 0;
      entry->refused = 0;
      entry_report (entry, NULL);

      if (clap_task_state_is_active (clap_task_get_state (task)))
        back_off (self, entry, clap_task_get_state (task) == before ? 1.5 : 1.0);
      else if (!clap_task_is_missing_link (task))
        finish_entry (self, task);
      else
        {
          /* Finished, as far as the person is concerned; the link is still
           * asked for, slowly, for a while. */
          if (!was_missing_link)
            g_signal_emit (self, signals[TASK_FINISHED], 0, task);
          if (link_wait_is_over (self, entry))
            g_hash_table_remove (self->entries, task);
          else
            back_off (self, entry, was_missing_link ? 2.0 : 0.0);
        }
    }
  else if (info != NULL)
    {
      /* Refused: nothing changed. The take says why, the person hears it
       * once, and the take is asked about again. */
      g_debug ("Refused an answer for %s: %s", clap_task_get_task_id (task), error->message);
      back_off (self, entry, 2.0);
      entry_report (entry, error->message);
      if (++entry->refused == 1)
        g_signal_emit (self, signals[ERROR], 0, task, error);
    }
  else if (g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_UNAUTHORIZED))
    {
      back_off (self, entry, 1.0);
      self->paused = TRUE;
      g_signal_emit (self, signals[ERROR], 0, task, error);
    }
  else if (g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NOT_FOUND) &&
           ++entry->not_found >= NOT_FOUND_LIMIT && clap_task_state_is_final (before))
    {
      /* A finished take stays what it was; it is no longer asked about. */
      g_hash_table_remove (self->entries, task);
    }
  else if (g_error_matches (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_NOT_FOUND) &&
           entry->not_found >= NOT_FOUND_LIMIT)
    {
      clap_task_set_state (task, CLAP_TASK_STATE_FAILED);
      clap_task_set_fail_message (task, _("The service no longer knows this task."));
      g_signal_emit (self, signals[TASK_CHANGED], 0, task);
      finish_entry (self, task);
    }
  else
    {
      g_debug ("Query of %s failed: %s", clap_task_get_task_id (task), error->message);
      back_off (self, entry, 2.0);
      /* Waiting cures most failures; a long outage is still worth saying. */
      if (!clap_client_error_is_transient (error) || ++entry->failures == FAILURES_TO_REPORT)
        g_signal_emit (self, signals[ERROR], 0, task, error);
      /* A take without a link is not followed past its day, whatever the
       * service answers. */
      if (was_missing_link && link_wait_is_over (self, entry))
        g_hash_table_remove (self->entries, task);
    }

  reschedule (self);
}

static void
start_query (ClapPoller *self,
             Entry      *entry)
{
  QueryData *data = g_new0 (QueryData, 1);

  entry->in_flight = TRUE;
  self->n_in_flight++;
  self->n_queries++;

  data->poller = g_object_ref (self);
  data->task = g_object_ref (entry->task);
  clap_client_query_async (self->client, clap_task_get_task_id (entry->task),
                           self->cancellable, query_done, data);
}

static gint
compare_due (gconstpointer a,
             gconstpointer b)
{
  const Entry *ea = *(const Entry **) a;
  const Entry *eb = *(const Entry **) b;

  return ea->due_us < eb->due_us ? -1 : ea->due_us > eb->due_us;
}

static gboolean
timer_cb (gpointer user_data)
{
  ClapPoller *self = user_data;
  g_autoptr(GPtrArray) due = g_ptr_array_new ();
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  Entry *entry;

  self->timer_id = 0;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (!entry->in_flight && entry->due_us <= now)
      g_ptr_array_add (due, entry);

  /* The most overdue first, so a cap never starves a take. */
  g_ptr_array_sort (due, compare_due);
  for (guint i = 0; i < due->len && self->n_in_flight < self->max_in_flight; i++)
    start_query (self, g_ptr_array_index (due, i));

  reschedule (self);
  return G_SOURCE_REMOVE;
}

static void
reschedule (ClapPoller *self)
{
  GHashTableIter iter;
  Entry *entry;
  gint64 earliest = G_MAXINT64;
  gint64 now;

  g_clear_handle_id (&self->timer_id, g_source_remove);

  /* At the cap, the next answer reschedules; paused or without a client,
   * nothing runs at all. */
  if (self->paused || self->client == NULL || self->n_in_flight >= self->max_in_flight)
    return;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (!entry->in_flight && entry->due_us < earliest)
      earliest = entry->due_us;

  if (earliest == G_MAXINT64)
    return;

  now = g_get_monotonic_time ();
  self->timer_id = g_timeout_add_full (G_PRIORITY_DEFAULT,
                                       earliest > now ? (guint) ((earliest - now + 999) / 1000) : 0,
                                       timer_cb, self, NULL);
  g_source_set_name_by_id (self->timer_id, "[clap-poller] timer");
}

/* Polls @task until it reaches a final state; a take completed without a
 * link is asked about once soon, then slowly for a while (see above).
 * Other takes, and takes without a usable task id, are ignored. */
void
clap_poller_add (ClapPoller *self,
                 ClapTask   *task)
{
  Entry *entry;

  g_return_if_fail (CLAP_IS_POLLER (self));
  g_return_if_fail (CLAP_IS_TASK (task));

  if (!(clap_task_state_is_active (clap_task_get_state (task)) ||
        clap_task_is_missing_link (task)) ||
      !clap_task_id_is_valid (clap_task_get_task_id (task)) ||
      g_hash_table_contains (self->entries, task))
    return;

  entry = g_new0 (Entry, 1);
  entry->task = g_object_ref (task);
  entry->added_ms = g_get_real_time () / 1000;
  entry->interval_ms = self->first_ms;
  entry->due_us = g_get_monotonic_time () + (gint64) self->first_ms * 1000;
  g_hash_table_insert (self->entries, task, entry);

  reschedule (self);
}

void
clap_poller_remove (ClapPoller *self,
                    ClapTask   *task)
{
  g_return_if_fail (CLAP_IS_POLLER (self));

  if (g_hash_table_remove (self->entries, task))
    reschedule (self);
}

/* Asks about @task at once: a callback said it changed. */
void
clap_poller_poll_now (ClapPoller *self,
                      ClapTask   *task)
{
  Entry *entry;

  g_return_if_fail (CLAP_IS_POLLER (self));

  entry = g_hash_table_lookup (self->entries, task);
  if (entry == NULL)
    {
      if (!clap_task_id_is_valid (clap_task_get_task_id (task)))
        return;
      /* A final take the callback says changed (e.g. after a restart) is
       * still confirmed by one query. */
      entry = g_new0 (Entry, 1);
      entry->task = g_object_ref (task);
      entry->added_ms = g_get_real_time () / 1000;
      entry->interval_ms = self->first_ms;
      g_hash_table_insert (self->entries, task, entry);
    }

  entry->due_us = g_get_monotonic_time ();
  reschedule (self);
}

/* Takes the service is still working on, and takes without a link not
 * asked about yet since they were added: what a command waits for. A take
 * asked about again slowly for its link does not count. */
guint
clap_poller_get_n_active (ClapPoller *self)
{
  GHashTableIter iter;
  Entry *entry;
  guint n = 0;

  g_return_val_if_fail (CLAP_IS_POLLER (self), 0);

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (!entry->answered || !clap_task_is_missing_link (entry->task))
      n++;
  return n;
}

guint
clap_poller_get_n_in_flight (ClapPoller *self)
{
  g_return_val_if_fail (CLAP_IS_POLLER (self), 0);
  return self->n_in_flight;
}

/* Whether a timer is waiting; FALSE whenever nothing is to be polled. */
gboolean
clap_poller_is_scheduled (ClapPoller *self)
{
  g_return_val_if_fail (CLAP_IS_POLLER (self), FALSE);
  return self->timer_id != 0;
}

guint64
clap_poller_get_n_queries (ClapPoller *self)
{
  g_return_val_if_fail (CLAP_IS_POLLER (self), 0);
  return self->n_queries;
}

void
clap_poller_pause (ClapPoller *self)
{
  g_return_if_fail (CLAP_IS_POLLER (self));

  self->paused = TRUE;
  reschedule (self);
}

void
clap_poller_resume (ClapPoller *self)
{
  g_return_if_fail (CLAP_IS_POLLER (self));

  self->paused = FALSE;
  reschedule (self);
}

gboolean
clap_poller_is_paused (ClapPoller *self)
{
  g_return_val_if_fail (CLAP_IS_POLLER (self), FALSE);
  return self->paused;
}
