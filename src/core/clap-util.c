/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-util"

#include "config.h"

#include <string.h>

#include <errno.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include "clap-util-private.h"

/* The setters of ClapRequest and ClapTask notify only on a real change, and
 * treat "" and an empty list as unset: these decide both. */

/* Replaces *@field by a copy of @value; TRUE when it changed. */
gboolean
_clap_replace_string (char       **field,
                      const char  *value)
{
  if (value != NULL && *value == '\0')
    value = NULL;
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;

  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* Replaces *@field by a copy of @value; TRUE when it changed. */
gboolean
_clap_replace_strv (GStrv              *field,
                    const char * const *value)
{
  if (value != NULL && value[0] == NULL)
    value = NULL;
  if (value == NULL && *field == NULL)
    return FALSE;
  if (value != NULL && *field != NULL && g_strv_equal (value, (const char * const *) *field))
    return FALSE;

  g_strfreev (*field);
  *field = g_strdupv ((char **) value);
  return TRUE;
}

static char *
read_boot_id (void)
{
  g_autofree char *id = NULL;

  if (!g_file_get_contents ("/proc/sys/kernel/random/boot_id", &id, NULL, NULL))
    return g_strdup ("unknown");
  return g_strdup (g_strstrip (id));
}

/* Field 22 of /proc/PID/stat: when the process started, in clock ticks
 * since boot. With the boot id it names one process, even after its pid is
 * reused. */
static char *
read_start_time (pid_t pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_name;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return NULL;

  /* The name, field 2, is in parentheses and may hold spaces. */
  after_name = strrchr (stat, ')');
  if (after_name == NULL)
    return NULL;
  fields = g_strsplit (after_name + 2, " ", 0);
  /* fields[0] is field 3 */
  if (g_strv_length (fields) < 20)
    return NULL;
  return g_strdup (fields[19]);
}

/* "BOOT-ID:PID:START" of the process @pid, or NULL if it does not run. */
char *
_clap_process_token_for_pid (int pid)
{
  g_autofree char *boot = read_boot_id ();
  g_autofree char *start = read_start_time ((pid_t) pid);

  if (start == NULL)
    return NULL;
  return g_strdup_printf ("%s:%d:%s", boot, pid, start);
}

/* This process, as other processes can check it is still the one running. */
const char *
_clap_process_token (void)
{
  static char *token;

  if (g_once_init_enter (&token))
    {
      char *value = _clap_process_token_for_pid ((int) getpid ());

      g_once_init_leave (&token, value ? value : g_strdup ("unknown:0:0"));
    }
  return token;
}

/* Whether the process @token names is still running (on this boot). */
gboolean
_clap_process_token_is_alive (const char *token)
{
  g_auto(GStrv) parts = NULL;
  g_autofree char *boot = NULL;
  g_autofree char *start = NULL;
  pid_t pid;

  if (token == NULL)
    return FALSE;

  parts = g_strsplit (token, ":", 3);
  if (g_strv_length (parts) != 3)
    return FALSE;

  boot = read_boot_id ();
  if (!g_str_equal (parts[0], boot))
    return FALSE;

  pid = (pid_t) g_ascii_strtoll (parts[1], NULL, 10);
  if (pid <= 0 || (kill (pid, 0) != 0 && errno == ESRCH))
    return FALSE;

  start = read_start_time (pid);
  return start != NULL && g_str_equal (start, parts[2]);
}

/* Whether @host names this computer: "localhost" or a loopback address. */
gboolean
_clap_host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}
