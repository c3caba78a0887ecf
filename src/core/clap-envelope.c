/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-envelope"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "clap-envelope.h"

/* Every reply of the service is an envelope {"code", "msg", "data"}. A call
 * has failed when the HTTP status is not 2xx *or* the code is not 200; any
 * other shape (an HTML error page, a cut or non-JSON body, no data) is a
 * protocol error that names the HTTP status. These bytes come from the
 * network: nothing here trusts their shape.
 */

G_DEFINE_QUARK (clap-client-error-quark, clap_client_error)

#define MAX_DETAIL_CHARS 300

/* The detail the server gave, cut to a readable length and made safe to show. */
static char *
clean_detail (const char *detail)
{
  g_autofree char *valid = NULL;
  glong n_chars;

  if (detail == NULL || *detail == '\0')
    return NULL;

  valid = g_utf8_make_valid (detail, -1);
  g_strstrip (valid);
  for (char *p = valid; *p; p++)
    if ((guchar) *p < 0x20)
      *p = ' ';

  n_chars = g_utf8_strlen (valid, -1);
  if (n_chars > MAX_DETAIL_CHARS)
    {
      g_autofree char *cut = g_utf8_substring (valid, 0, MAX_DETAIL_CHARS);
      return g_strconcat (cut, "…", NULL);
    }

  return g_steal_pointer (&valid);
}

static void
set_error (GError     **error,
           gint         code,
           const char  *message,
           const char  *detail)
{
  g_autofree char *clean = clean_detail (detail);

  if (clean != NULL)
    g_set_error (error, CLAP_CLIENT_ERROR, code, "%s (%s)", message, clean);
  else
    g_set_error_literal (error, CLAP_CLIENT_ERROR, code, message);
}

/* Maps an API status (the HTTP status, or the envelope's code, which uses the
 * same numbers) to an error with a message that says what to do. */
void
clap_client_error_from_http (guint         status,
                             const char   *detail,
                             GError      **error)
{
  g_autofree char *message = NULL;

  switch (status)
    {
    case 400:
    case 422:
      set_error (error, CLAP_CLIENT_ERROR_BAD_REQUEST,
                 _("The service refused the request as invalid."), detail);
      return;

    case 401:
      set_error (error, CLAP_CLIENT_ERROR_UNAUTHORIZED,
                 _("The API key was rejected. Open Preferences to set a new one."), detail);
      return;

    case 402:
      set_error (error, CLAP_CLIENT_ERROR_INSUFFICIENT_BALANCE,
                 _("Your balance is too low for this take. Add credits to your "
                   "apimodels.app account, then try again."), detail);
      return;

    case 403:
    case 410:
      message = g_strdup_printf (_("The service refused access (HTTP %u): the link may have "
                                   "expired."), status);
      set_error (error, CLAP_CLIENT_ERROR_EXPIRED, message, detail);
      return;

    case 404:
      set_error (error, CLAP_CLIENT_ERROR_NOT_FOUND,
                 _("The service does not know this task or file."), detail);
      return;

    case 408:
    case 504:
      message = g_strdup_printf (_("The service took too long to answer (HTTP %u). "
                                   "Try again later."), status);
      set_error (error, CLAP_CLIENT_ERROR_TIMEOUT, message, detail);
      return;

    case 429:
    case 1302:
    case 1303:
      set_error (error, CLAP_CLIENT_ERROR_RATE_LIMITED,
                 _("The service is receiving too many requests. Try again in a moment."),
                 detail);
      return;

    default:
      break;
    }

  if (status >= 500 && status <= 599)
    {
      message = g_strdup_printf (_("The service had an internal error (HTTP %u). "
                                   "Try again later."), status);
      set_error (error, CLAP_CLIENT_ERROR_SERVER, message, detail);
    }
  else if (status >= 400 && status <= 499)
    {
      message = g_strdup_printf (_("The service refused the request (HTTP %u)."), status);
      set_error (error, CLAP_CLIENT_ERROR_BAD_REQUEST, message, detail);
    }
  else
    {
      message = g_strdup_printf (_("The service sent an unexpected answer (code %u)."), status);
      set_error (error, CLAP_CLIENT_ERROR_PROTOCOL, message, detail);
    }
}

static void
protocol_error (GError     **error,
                guint        http_status,
                const char  *what)
{
  g_set_error (error, CLAP_CLIENT_ERROR, CLAP_CLIENT_ERROR_PROTOCOL,
               /* Translators: the second %s says what was wrong with the reply */
               _("The service sent a reply that could not be read (HTTP %u): %s."),
               http_status, what);
}

static gboolean
read_code (JsonObject *root,
           gint64     *code)
{
  JsonNode *node = json_object_get_member (root, "code");

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *code = json_node_get_int (node);
      return TRUE;

    case G_TYPE_DOUBLE:
      {
        double value = json_node_get_double (node);

        /* 1e99 is no status code, and casting it would be undefined. */
        if (!(value > -1e9 && value < 1e9))
          return FALSE;
        *code = (gint64) value;
        return TRUE;
      }

    case G_TYPE_STRING:
      {
        const char *s = json_node_get_string (node);
        char *end = NULL;

        *code = g_ascii_strtoll (s, &end, 10);
        return end != s && *end == '\0';
      }

    default:
      return FALSE;
    }
}

/* Returns the envelope's data (a new node) when the call succeeded, or NULL
 * and the error that says why not. */
JsonNode *
clap_envelope_parse (guint          http_status,
                     const char    *content_type,
                     GBytes        *body,
                     GError       **error)
{
  g_autoptr(JsonParser) parser = NULL;
  gboolean http_ok = http_status >= 200 && http_status <= 299;
  const char *data;
  gsize size = 0;
  JsonObject *root;
  JsonNode *data_node;
  const char *msg = NULL;
  gint64 code = 0;

  data = body != NULL ? g_bytes_get_data (body, &size) : NULL;

  if (size == 0)
    {
      if (http_ok)
        protocol_error (error, http_status, _("the reply is empty"));
      else
        clap_client_error_from_http (http_status, NULL, error);
      return NULL;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) size, NULL) ||
      json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      if (!http_ok)
        clap_client_error_from_http (http_status, NULL, error);
      else if (content_type != NULL && g_str_has_prefix (content_type, "text/html"))
        protocol_error (error, http_status, _("an HTML page instead of data"));
      else
        protocol_error (error, http_status, _("it is cut short or is not JSON"));
      return NULL;
    }

  root = json_node_get_object (json_parser_get_root (parser));

  if (json_object_has_member (root, "msg") &&
      JSON_NODE_HOLDS_VALUE (json_object_get_member (root, "msg")) &&
      json_node_get_value_type (json_object_get_member (root, "msg")) == G_TYPE_STRING)
    msg = json_object_get_string_member (root, "msg");

  if (!read_code (root, &code))
    {
      if (!http_ok)
        clap_client_error_from_http (http_status, msg, error);
      else
        protocol_error (error, http_status, _("it has no status code"));
      return NULL;
    }

  if (code != 200)
    {
      clap_client_error_from_http (code > 0 && code < G_MAXINT ? (guint) code : 0, msg, error);
      return NULL;
    }

  if (!http_ok)
    {
      clap_client_error_from_http (http_status, msg, error);
      return NULL;
    }

  data_node = json_object_get_member (root, "data");
  if (data_node == NULL || JSON_NODE_HOLDS_NULL (data_node))
    {
      protocol_error (error, http_status, _("it carries no data"));
      return NULL;
    }

  return json_node_copy (data_node);
}

/* Whether an idempotent call (query, upload, download) may be tried again. */
gboolean
clap_client_error_is_transient (const GError *error)
{
  if (error == NULL || error->domain != CLAP_CLIENT_ERROR)
    return FALSE;

  switch (error->code)
    {
    case CLAP_CLIENT_ERROR_RATE_LIMITED:
    case CLAP_CLIENT_ERROR_SERVER:
    case CLAP_CLIENT_ERROR_NETWORK:
    case CLAP_CLIENT_ERROR_TIMEOUT:
    case CLAP_CLIENT_ERROR_PROTOCOL:
      return TRUE;
    default:
      return FALSE;
    }
}
