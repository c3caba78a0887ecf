/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-util"

#include "config.h"

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
