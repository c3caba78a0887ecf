/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-sim-callback"

#include "config.h"

#include <math.h>
#include <string.h>

#include "clap-sim-server-private.h"

/* The provider's schedule: retries after 1 s, 2 s and 4 s, then keeps
 * re-sending for up to 30 minutes until a 2xx; 10 s timeout per attempt. */
#define ATTEMPT_TIMEOUT_S   10
#define LATER_RETRY_S       60
#define GIVE_UP_AFTER_S     (30 * 60)

static const guint first_retries_s[] = { 1, 2, 4 };

/* One callback being delivered; reference counted because an attempt in
 * flight can outlive the server. */
typedef struct {
  ClapSimServer *server;   /* NULL once the server is disposed */
  char          *task_id;
  char          *url;
  GBytes        *body;
  guint          failures;
  gint64         first_attempt;  /* monotonic µs */
  GSource       *timer;
} Delivery;

static void
delivery_clear (Delivery *delivery)
{
  if (delivery->timer != NULL)
    {
      g_source_destroy (delivery->timer);
      g_clear_pointer (&delivery->timer, g_source_unref);
    }

  g_free (delivery->task_id);
  g_free (delivery->url);
  g_bytes_unref (delivery->body);
}

static void
delivery_release (Delivery *delivery)
{
  g_rc_box_release_full (delivery, (GDestroyNotify)delivery_clear);
}

static void
delivery_done (Delivery *delivery)
{
  ClapSimServer *self = delivery->server;

  delivery->server = NULL;
  g_ptr_array_remove_fast (self->deliveries, delivery);
}

static gint64
scaled_ms (ClapSimServer *self,
           double         seconds)
{
  return (gint64)ceil (seconds * 1000.0 * self->time_scale);
}

static void delivery_attempt (Delivery *delivery);

static gboolean
delivery_timer_cb (gpointer data)
{
  Delivery *delivery = data;

  g_clear_pointer (&delivery->timer, g_source_unref);
  delivery_attempt (delivery);

  return G_SOURCE_REMOVE;
}

static void
delivery_failed (Delivery *delivery)
{
  ClapSimServer *self = delivery->server;
  gint64 elapsed_ms = (g_get_monotonic_time () - delivery->first_attempt) / 1000;
  double delay_s;

  if (delivery->failures < G_N_ELEMENTS (first_retries_s))
    delay_s = first_retries_s[delivery->failures];
  else
    delay_s = LATER_RETRY_S;

  delivery->failures++;

  if (elapsed_ms + scaled_ms (self, delay_s) > scaled_ms (self, GIVE_UP_AFTER_S))
    {
      g_debug ("Giving up the callback of %s after %u attempts", delivery->task_id,
               delivery->failures);
      delivery_done (delivery);
      return;
    }

  delivery->timer = _clap_sim_server_add_timeout (self, scaled_ms (self, delay_s),
                                                  delivery_timer_cb, delivery, NULL);
}

static void
delivery_sent_cb (GObject      *source_object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Delivery *delivery = user_data;
  SoupSession *session = SOUP_SESSION (source_object);
  SoupMessage *msg = soup_session_get_async_result_message (session, result);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;

  body = soup_session_send_and_read_finish (session, result, &error);

  if (delivery->server != NULL)
    {
      if (error == NULL && SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
        delivery_done (delivery);
      else
        delivery_failed (delivery);
    }

  delivery_release (delivery);
}

static void
delivery_send (Delivery *delivery)
{
  ClapSimServer *self = delivery->server;
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_POST, delivery->url);

  if (msg == NULL)
    {
      delivery_done (delivery);
      return;
    }

  if (self->callback_session == NULL)
    self->callback_session = soup_session_new_with_options ("timeout", ATTEMPT_TIMEOUT_S,
                                                            "user-agent", "clapboard-sim",
                                                            NULL);

  soup_message_set_request_body_from_bytes (msg, "application/json", delivery->body);
  soup_session_send_and_read_async (self->callback_session, msg, G_PRIORITY_DEFAULT,
                                    self->cancellable, delivery_sent_cb,
                                    g_rc_box_acquire (delivery));
}

static gboolean
delivery_slow_cb (gpointer data)
{
  Delivery *delivery = data;

  g_clear_pointer (&delivery->timer, g_source_unref);
  delivery_send (delivery);

  return G_SOURCE_REMOVE;
}

static void
delivery_attempt (Delivery *delivery)
{
  ClapSimServer *self = delivery->server;
  ClapSimFault fault;

  _clap_sim_server_count_request (self, CLAP_SIM_ENDPOINT_CALLBACK);
  fault = _clap_sim_server_take_fault (self, CLAP_SIM_ENDPOINT_CALLBACK);

  if (delivery->first_attempt == 0)
    delivery->first_attempt = g_get_monotonic_time ();

  /* An injected fault on the outgoing side means the attempt is lost on
   * the way (SLOW: it leaves late), so the retry schedule shows. */
  if (fault == CLAP_SIM_FAULT_NONE)
    delivery_send (delivery);
  else if (fault == CLAP_SIM_FAULT_SLOW)
    delivery->timer = _clap_sim_server_add_timeout (self, self->slow_ms, delivery_slow_cb,
                                                    delivery, NULL);
  else
    delivery_failed (delivery);
}

/* Starts POSTing @task's final state to its callback_url. */
void
_clap_sim_callback_start (ClapSimServer *self,
                          ClapSimTask   *task)
{
  Delivery *delivery = g_rc_box_new0 (Delivery);

  delivery->server = self;
  delivery->task_id = g_strdup (task->key);
  delivery->url = g_strdup (task->callback_url);
  delivery->body = _clap_sim_dialect_callback_body (self, task);

  if (self->deliveries == NULL)
    self->deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify)delivery_release);
  g_ptr_array_add (self->deliveries, delivery);

  delivery_attempt (delivery);
}

/* Stops every delivery: the server is going. Attempts in flight are
 * cancelled through the server's cancellable and find no server. */
void
_clap_sim_callback_cancel_all (ClapSimServer *self)
{
  if (self->deliveries == NULL)
    return;

  for (guint i = 0; i < self->deliveries->len; i++)
    {
      Delivery *delivery = g_ptr_array_index (self->deliveries, i);

      delivery->server = NULL;
      if (delivery->timer != NULL)
        {
          g_source_destroy (delivery->timer);
          g_clear_pointer (&delivery->timer, g_source_unref);
        }
    }

  g_clear_pointer (&self->deliveries, g_ptr_array_unref);
}
