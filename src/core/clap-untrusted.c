/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-untrusted"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "clap-untrusted.h"

/* The gate for bytes and strings from the network. A server may send
 * anything: a body that never ends, JSON nested 200,000 levels deep (which
 * json-glib would follow until the stack ran out), a task id that reads as
 * a path, or escape sequences meant for a terminal. These checks come
 * before any parser or any use. */

G_DEFINE_QUARK (clap-untrusted-error-quark, clap_untrusted_error)

/* Whether the arrays and objects of @data nest at most @max_depth deep. A
 * scan of the bytes, strings skipped, that needs no stack: it runs before
 * the recursive parser sees anything. It is not a validator; json-glib
 * still refuses what is not JSON. */
gboolean
clap_untrusted_check_json_depth (const char *data,
                                 gsize       size,
                                 guint       max_depth)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < size; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          if (++depth > max_depth)
            return FALSE;
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }

  return TRUE;
}

/* Parses @data (of @size bytes, or NUL-terminated when -1) when it is at
 * most @max_bytes long and nests at most CLAP_UNTRUSTED_MAX_JSON_DEPTH
 * deep. Returns the root (a new node), or NULL and an error that says
 * which rule was broken. */
JsonNode *
clap_untrusted_parse_json (const char  *data,
                           gssize       size,
                           gsize        max_bytes,
                           GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length;

  if (data == NULL)
    {
      g_set_error_literal (error, CLAP_UNTRUSTED_ERROR, CLAP_UNTRUSTED_ERROR_INVALID,
                           _("it is empty"));
      return NULL;
    }

  length = size < 0 ? strnlen (data, max_bytes + 1) : (gsize) size;
  if (length > max_bytes)
    {
      g_set_error (error, CLAP_UNTRUSTED_ERROR, CLAP_UNTRUSTED_ERROR_TOO_LARGE,
                   _("it is larger than %lu bytes"), (unsigned long) max_bytes);
      return NULL;
    }

  if (!clap_untrusted_check_json_depth (data, length, CLAP_UNTRUSTED_MAX_JSON_DEPTH))
    {
      g_set_error (error, CLAP_UNTRUSTED_ERROR, CLAP_UNTRUSTED_ERROR_TOO_DEEP,
                   _("its JSON nests more than %d levels deep"), CLAP_UNTRUSTED_MAX_JSON_DEPTH);
      return NULL;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize) length, &local_error) ||
      json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, CLAP_UNTRUSTED_ERROR, CLAP_UNTRUSTED_ERROR_INVALID,
                           _("it is cut short or is not JSON"));
      return NULL;
    }

  return json_node_ref (json_parser_get_root (parser));
}

/* Whether @task_id may name a task: printable ASCII, at most
 * CLAP_TASK_ID_MAX_LENGTH characters, no slash, backslash or "..". It is
 * never used as a file name (files are named after the take's own uid);
 * this keeps it harmless wherever it is shown, logged or sent back. */
gboolean
clap_task_id_is_valid (const char *task_id)
{
  gsize length;

  if (task_id == NULL || *task_id == '\0')
    return FALSE;

  length = strnlen (task_id, CLAP_TASK_ID_MAX_LENGTH + 1);
  if (length > CLAP_TASK_ID_MAX_LENGTH)
    return FALSE;

  for (gsize i = 0; i < length; i++)
    {
      guchar c = (guchar) task_id[i];

      if (c <= 0x20 || c >= 0x7f || c == '/' || c == '\\')
        return FALSE;
    }

  return strstr (task_id, "..") == NULL;
}

/* Whether @c changes what a terminal or a label shows rather than showing
 * itself: C0 and C1 controls, DEL, and the marks that reorder text. */
static gboolean
is_hidden (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
         (c >= 0x200e && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
         (c >= 0x2066 && c <= 0x2069);
}

/* A copy of @text that is safe to print to a terminal or put in a label:
 * invalid UTF-8 is replaced, control characters are written as "\x1B"
 * (or "\u202E"), and it is cut to @max_chars characters (-1: whole). NULL
 * stays NULL. */
char *
clap_untrusted_escape (const char *text,
                       gssize      max_chars)
{
  g_autofree char *valid = NULL;
  GString *out;
  gssize n = 0;

  if (text == NULL)
    return NULL;

  valid = g_utf8_make_valid (text, -1);
  out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (max_chars >= 0 && n >= max_chars)
        {
          g_string_append (out, "…");
          break;
        }

      if (!is_hidden (c))
        g_string_append_unichar (out, c);
      else if (c <= 0xff)
        g_string_append_printf (out, "\\x%02X", c);
      else
        g_string_append_printf (out, "\\u%04X", c);
    }

  return g_string_free (out, FALSE);
}
