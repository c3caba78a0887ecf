/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-sim-faults"

#include "config.h"

#include <string.h>

#include "clap-sim-server-private.h"

/* libsoup 3.2 has no name for it. */
#define STATUS_TOO_MANY_REQUESTS 429

struct _ClapSimHeld
{
  ClapSimServer     *server;
  SoupServerMessage *msg;
  gulong             disconnected_id;
  gboolean           gone;
  gboolean           drop;
  GSource           *timer;
};

static const char html_page[] =
  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
  "<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
  "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/* Looks like the start of a reply, then turns into bytes no parser takes. */
static const char garbage[] = "{\"code\":200,\"msg\":\"succ\xff\xfe\x00\x01<<garbage>>";

static const char *
enum_nick (GType type,
           int   value)
{
  GEnumClass *klass = g_type_class_ref (type);
  GEnumValue *enum_value = g_enum_get_value (klass, value);

  g_type_class_unref (klass);

  return enum_value != NULL ? enum_value->value_nick : NULL;
}

static gboolean
enum_from_nick (GType       type,
                const char *nick,
                int        *value)
{
  GEnumClass *klass = g_type_class_ref (type);
  GEnumValue *enum_value = nick != NULL ? g_enum_get_value_by_nick (klass, nick) : NULL;

  if (enum_value != NULL)
    *value = enum_value->value;

  g_type_class_unref (klass);

  return enum_value != NULL;
}

const char *
_clap_sim_fault_to_name (ClapSimFault fault)
{
  return enum_nick (CLAP_TYPE_SIM_FAULT, fault);
}

gboolean
_clap_sim_fault_from_name (const char   *name,
                           ClapSimFault *fault)
{
  int value;

  if (!enum_from_nick (CLAP_TYPE_SIM_FAULT, name, &value))
    return FALSE;

  *fault = value;
  return TRUE;
}

const char *
_clap_sim_endpoint_to_name (ClapSimEndpoint endpoint)
{
  return enum_nick (CLAP_TYPE_SIM_ENDPOINT, endpoint);
}

gboolean
_clap_sim_endpoint_from_name (const char      *name,
                              ClapSimEndpoint *endpoint)
{
  int value;

  if (!enum_from_nick (CLAP_TYPE_SIM_ENDPOINT, name, &value))
    return FALSE;

  *endpoint = value;
  return TRUE;
}

static void
held_free (ClapSimHeld *held)
{
  if (held->timer != NULL)
    {
      g_source_destroy (held->timer);
      g_source_unref (held->timer);
    }

  g_clear_signal_handler (&held->disconnected_id, held->msg);
  g_object_unref (held->msg);
  g_free (held);
}

static void
held_disconnected_cb (SoupServerMessage *msg,
                      ClapSimHeld       *held)
{
  held->gone = TRUE;
}

/* Pauses @msg until _clap_sim_fault_finish() lets it go. */
ClapSimHeld *
_clap_sim_hold (ClapSimServer     *self,
                SoupServerMessage *msg)
{
  ClapSimHeld *held = g_new0 (ClapSimHeld, 1);

  held->server = self;
  held->msg = g_object_ref (msg);
  held->disconnected_id = g_signal_connect (msg, "disconnected",
                                            G_CALLBACK (held_disconnected_cb), held);
  soup_server_message_pause (msg);

  if (self->held == NULL)
    self->held = g_ptr_array_new_with_free_func ((GDestroyNotify)held_free);
  g_ptr_array_add (self->held, held);

  return held;
}

static gboolean
held_timeout_cb (gpointer data)
{
  ClapSimHeld *held = data;
  ClapSimServer *self = held->server;

  g_clear_pointer (&held->timer, g_source_unref);

  if (!held->gone && held->drop)
    {
      g_autoptr(GIOStream) stream = NULL;

      _clap_sim_server_log_request (self, held->msg, 0);

      /* Stolen from a paused message, never from inside a handler, where
       * libsoup is still using the connection's state. */
      stream = soup_server_message_steal_connection (held->msg);
      if (stream != NULL)
        g_io_stream_close (stream, NULL, NULL);
    }
  else if (!held->gone)
    {
      soup_server_message_unpause (held->msg);
    }

  g_ptr_array_remove_fast (self->held, held);

  return G_SOURCE_REMOVE;
}

static void
held_release (ClapSimHeld *held,
              gboolean     drop,
              guint        delay_ms)
{
  g_assert (held->timer == NULL);

  held->drop = drop;
  held->timer = _clap_sim_server_add_timeout (held->server, delay_ms, held_timeout_cb, held, NULL);
}

/* Forgets every paused message without answering: the server is going. */
void
_clap_sim_release_all (ClapSimServer *self)
{
  g_clear_pointer (&self->held, g_ptr_array_unref);
}

/* Faults that answer instead of the request being carried out. */
gboolean
_clap_sim_fault_is_immediate (ClapSimFault fault)
{
  switch (fault)
    {
    case CLAP_SIM_FAULT_NONE:
    case CLAP_SIM_FAULT_TRUNCATED:
    case CLAP_SIM_FAULT_SLOW:
    case CLAP_SIM_FAULT_CREATED_THEN_DROP:
      return FALSE;

    case CLAP_SIM_FAULT_HTTP_500:
    case CLAP_SIM_FAULT_ENVELOPE_500:
    case CLAP_SIM_FAULT_HTTP_429:
    case CLAP_SIM_FAULT_HTTP_429_NO_RETRY_AFTER:
    case CLAP_SIM_FAULT_GARBAGE:
    case CLAP_SIM_FAULT_HTML:
    case CLAP_SIM_FAULT_MISSING_DATA:
    case CLAP_SIM_FAULT_DROP:
    case CLAP_SIM_FAULT_HTTP_404:
    case CLAP_SIM_FAULT_HTTP_403:
    default:
      return TRUE;
    }
}

/* Answers @fault when it is one that replaces the request's own answer.
 * Returns FALSE when the request should be carried out as usual. */
gboolean
_clap_sim_fault_answer (ClapSimServer     *self,
                        SoupServerMessage *msg,
                        ClapSimFault       fault)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (!_clap_sim_fault_is_immediate (fault))
    return FALSE;

  switch (fault)
    {
    case CLAP_SIM_FAULT_HTTP_500:
      _clap_sim_respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "Internal server error");
      break;

    case CLAP_SIM_FAULT_ENVELOPE_500:
      _clap_sim_respond_envelope (msg, SOUP_STATUS_OK, 500, "Internal server error", NULL);
      break;

    case CLAP_SIM_FAULT_HTTP_429:
      soup_message_headers_replace (headers, "Retry-After", "1");
      _clap_sim_respond_envelope (msg, STATUS_TOO_MANY_REQUESTS, 1302,
                                  "Rate limit exceeded: requests are too frequent", NULL);
      break;

    case CLAP_SIM_FAULT_HTTP_429_NO_RETRY_AFTER:
      _clap_sim_respond_envelope (msg, STATUS_TOO_MANY_REQUESTS, 1303,
                                  "Rate limit exceeded: too many tasks at once", NULL);
      break;

    case CLAP_SIM_FAULT_GARBAGE:
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        garbage, sizeof garbage - 1);
      break;

    case CLAP_SIM_FAULT_HTML:
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_GATEWAY, NULL);
      soup_server_message_set_response (msg, "text/html", SOUP_MEMORY_STATIC,
                                        html_page, sizeof html_page - 1);
      break;

    case CLAP_SIM_FAULT_MISSING_DATA:
      {
        static const char body[] = "{\"code\":200,\"msg\":\"success\"}";

        soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
        soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                          body, sizeof body - 1);
      }
      break;

    case CLAP_SIM_FAULT_DROP:
      soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
      held_release (_clap_sim_hold (self, msg), TRUE, 0);
      break;

    case CLAP_SIM_FAULT_HTTP_404:
      _clap_sim_respond_error (msg, SOUP_STATUS_NOT_FOUND, "Not found");
      break;

    case CLAP_SIM_FAULT_HTTP_403:
      _clap_sim_respond_error (msg, SOUP_STATUS_FORBIDDEN, "Forbidden");
      break;

    case CLAP_SIM_FAULT_NONE:
    case CLAP_SIM_FAULT_TRUNCATED:
    case CLAP_SIM_FAULT_SLOW:
    case CLAP_SIM_FAULT_CREATED_THEN_DROP:
    default:
      g_assert_not_reached ();
    }

  return TRUE;
}

/* Sends the answer already set on @msg, as @fault alters it. @held is the
 * pause of a request that waited for a worker, or NULL. */
void
_clap_sim_fault_finish (ClapSimServer     *self,
                        SoupServerMessage *msg,
                        ClapSimFault       fault,
                        ClapSimHeld       *held)
{
  switch (fault)
    {
    case CLAP_SIM_FAULT_TRUNCATED:
      {
        SoupMessageBody *body = soup_server_message_get_response_body (msg);
        g_autoptr(GBytes) full = soup_message_body_flatten (body);
        g_autoptr(GBytes) half = g_bytes_new_from_bytes (full, 0, g_bytes_get_size (full) / 2);

        /* Content-Length follows the body: a well-formed, short message. */
        soup_message_body_truncate (body);
        soup_message_body_append_bytes (body, half);
      }
      break;

    case CLAP_SIM_FAULT_SLOW:
      held_release (held != NULL ? held : _clap_sim_hold (self, msg), FALSE, self->slow_ms);
      return;

    case CLAP_SIM_FAULT_DROP:
    case CLAP_SIM_FAULT_CREATED_THEN_DROP:
      held_release (held != NULL ? held : _clap_sim_hold (self, msg), TRUE, 0);
      return;

    default:
      break;
    }

  if (held != NULL)
    {
      if (!held->gone)
        soup_server_message_unpause (msg);
      g_ptr_array_remove_fast (self->held, held);
    }
}

static void
parse_keyword (const char      *keyword,
               const char      *value,
               ClapSimKeywords *keywords)
{
  if (g_str_equal (keyword, "fail"))
    {
      keywords->fail = TRUE;
      if (value != NULL && *value != '\0')
        {
          g_free (keywords->fail_msg);
          keywords->fail_msg = g_strdup (value);
        }
    }
  else if (g_str_equal (keyword, "create") && value != NULL)
    {
      _clap_sim_fault_from_name (value, &keywords->create_fault);
    }
  else if (g_str_equal (keyword, "query") && value != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (value, "*", 2);
      ClapSimFault fault;
      guint64 count = 1;

      if (parts[1] != NULL && !g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT, &count, NULL))
        return;

      if (_clap_sim_fault_from_name (parts[0], &fault))
        {
          keywords->query_fault = fault;
          keywords->query_count = count;
        }
    }
  else if (g_str_equal (keyword, "download") && value != NULL)
    {
      if (g_str_equal (value, "http-403"))
        keywords->download_status = SOUP_STATUS_FORBIDDEN;
      else if (g_str_equal (value, "http-404"))
        keywords->download_status = SOUP_STATUS_NOT_FOUND;
    }
  else if (g_str_equal (keyword, "slow-render"))
    {
      keywords->slow_render = TRUE;
    }
  else if (g_str_equal (keyword, "echo-model") && value != NULL && *value != '\0')
    {
      g_free (keywords->echo_model);
      keywords->echo_model = g_strdup (value);
    }
  else if (g_str_equal (keyword, "no-link"))
    {
      keywords->no_link = TRUE;
    }
  else if (g_str_equal (keyword, "state") && value != NULL && *value != '\0')
    {
      g_free (keywords->state_word);
      keywords->state_word = g_strdup (value);
    }
  else if (g_str_equal (keyword, "same-id"))
    {
      keywords->same_id = TRUE;
    }
  else if (g_str_equal (keyword, "cancel"))
    {
      keywords->cancel = TRUE;
    }
  else
    {
      g_debug ("Ignoring the unknown keyword [sim:%s]", keyword);
    }
}

/* Reads the `[sim:…]` keywords of a prompt into @keywords (zeroed by the
 * caller). Unknown keywords and fault names are ignored. */
void
_clap_sim_keywords_parse (const char      *prompt,
                          ClapSimKeywords *keywords)
{
  const char *p = prompt;

  if (prompt == NULL)
    return;

  while ((p = strstr (p, "[sim:")) != NULL)
    {
      const char *start = p + strlen ("[sim:");
      const char *end = strchr (start, ']');
      g_autofree char *keyword = NULL;
      char *value;

      if (end == NULL)
        break;

      keyword = g_strndup (start, end - start);
      value = strchr (keyword, '=');
      if (value != NULL)
        *value++ = '\0';

      parse_keyword (keyword, value, keywords);
      p = end + 1;
    }
}

void
_clap_sim_keywords_clear (ClapSimKeywords *keywords)
{
  g_clear_pointer (&keywords->fail_msg, g_free);
  g_clear_pointer (&keywords->echo_model, g_free);
  g_clear_pointer (&keywords->state_word, g_free);
}
