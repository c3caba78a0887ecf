/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "clap-request"

#include "config.h"

#include <math.h>
#include <string.h>
#include <arpa/inet.h>
#include <glib/gi18n-lib.h>

#include "clap-request.h"
#include "clap-untrusted.h"
#include "clap-util-private.h"

/* A generation request as the person composes it. Inputs (image, last frame,
 * motion video) hold either a URL or a local path until they are uploaded;
 * validation refuses, with one specific message per rule, everything the
 * provider would refuse, so that no request that cannot succeed is paid for.
 */

struct _ClapRequest
{
  GObject   parent_instance;

  char     *model;
  char     *prompt;
  char     *negative_prompt;
  char     *mode;
  guint     duration;
  char     *aspect_ratio;
  char     *image;
  char     *image_tail;
  gboolean  sound;
  GStrv     voices;
  char     *motion_video;
  double    motion_seconds;
  char     *character_orientation;
  gboolean  keep_original_sound;
  char     *version;
  char     *callback_url;
};

G_DEFINE_FINAL_TYPE (ClapRequest, clap_request, G_TYPE_OBJECT)
G_DEFINE_QUARK (clap-request-error-quark, clap_request_error)

enum {
  PROP_0,
  PROP_MODEL,
  PROP_PROMPT,
  PROP_NEGATIVE_PROMPT,
  PROP_MODE,
  PROP_DURATION,
  PROP_ASPECT_RATIO,
  PROP_IMAGE,
  PROP_IMAGE_TAIL,
  PROP_SOUND,
  PROP_VOICES,
  PROP_MOTION_VIDEO,
  PROP_MOTION_SECONDS,
  PROP_CHARACTER_ORIENTATION,
  PROP_KEEP_ORIGINAL_SOUND,
  PROP_VERSION,
  PROP_CALLBACK_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_string (ClapRequest  *self,
            char        **field,
            const char   *value,
            guint         prop_id)
{
  if (_clap_replace_string (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
clap_request_finalize (GObject *object)
{
  ClapRequest *self = (ClapRequest *) object;

  g_free (self->model);
  g_free (self->prompt);
  g_free (self->negative_prompt);
  g_free (self->mode);
  g_free (self->aspect_ratio);
  g_free (self->image);
  g_free (self->image_tail);
  g_strfreev (self->voices);
  g_free (self->motion_video);
  g_free (self->character_orientation);
  g_free (self->version);
  g_free (self->callback_url);

  G_OBJECT_CLASS (clap_request_parent_class)->finalize (object);
}

static void
clap_request_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  ClapRequest *self = CLAP_REQUEST (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_PROMPT:
      g_value_set_string (value, self->prompt);
      break;
    case PROP_NEGATIVE_PROMPT:
      g_value_set_string (value, self->negative_prompt);
      break;
    case PROP_MODE:
      g_value_set_string (value, self->mode);
      break;
    case PROP_DURATION:
      g_value_set_uint (value, self->duration);
      break;
    case PROP_ASPECT_RATIO:
      g_value_set_string (value, self->aspect_ratio);
      break;
    case PROP_IMAGE:
      g_value_set_string (value, self->image);
      break;
    case PROP_IMAGE_TAIL:
      g_value_set_string (value, self->image_tail);
      break;
    case PROP_SOUND:
      g_value_set_boolean (value, self->sound);
      break;
    case PROP_VOICES:
      g_value_set_boxed (value, self->voices);
      break;
    case PROP_MOTION_VIDEO:
      g_value_set_string (value, self->motion_video);
      break;
    case PROP_MOTION_SECONDS:
      g_value_set_double (value, self->motion_seconds);
      break;
    case PROP_CHARACTER_ORIENTATION:
      g_value_set_string (value, self->character_orientation);
      break;
    case PROP_KEEP_ORIGINAL_SOUND:
      g_value_set_boolean (value, self->keep_original_sound);
      break;
    case PROP_VERSION:
      g_value_set_string (value, self->version);
      break;
    case PROP_CALLBACK_URL:
      g_value_set_string (value, self->callback_url);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clap_request_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  ClapRequest *self = CLAP_REQUEST (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      clap_request_set_model (self, g_value_get_string (value));
      break;
    case PROP_PROMPT:
      clap_request_set_prompt (self, g_value_get_string (value));
      break;
    case PROP_NEGATIVE_PROMPT:
      clap_request_set_negative_prompt (self, g_value_get_string (value));
      break;
    case PROP_MODE:
      clap_request_set_mode (self, g_value_get_string (value));
      break;
    case PROP_DURATION:
      clap_request_set_duration (self, g_value_get_uint (value));
      break;
    case PROP_ASPECT_RATIO:
      clap_request_set_aspect_ratio (self, g_value_get_string (value));
      break;
    case PROP_IMAGE:
      clap_request_set_image (self, g_value_get_string (value));
      break;
    case PROP_IMAGE_TAIL:
      clap_request_set_image_tail (self, g_value_get_string (value));
      break;
    case PROP_SOUND:
      clap_request_set_sound (self, g_value_get_boolean (value));
      break;
    case PROP_VOICES:
      clap_request_set_voices (self, g_value_get_boxed (value));
      break;
    case PROP_MOTION_VIDEO:
      clap_request_set_motion_video (self, g_value_get_string (value));
      break;
    case PROP_MOTION_SECONDS:
      clap_request_set_motion_seconds (self, g_value_get_double (value));
      break;
    case PROP_CHARACTER_ORIENTATION:
      clap_request_set_character_orientation (self, g_value_get_string (value));
      break;
    case PROP_KEEP_ORIGINAL_SOUND:
      clap_request_set_keep_original_sound (self, g_value_get_boolean (value));
      break;
    case PROP_VERSION:
      clap_request_set_version (self, g_value_get_string (value));
      break;
    case PROP_CALLBACK_URL:
      clap_request_set_callback_url (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
clap_request_class_init (ClapRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = clap_request_finalize;
  object_class->get_property = clap_request_get_property;
  object_class->set_property = clap_request_set_property;

  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, "kling-v2-6", flags);
  properties[PROP_PROMPT] =
    g_param_spec_string ("prompt", NULL, NULL, NULL, flags);
  properties[PROP_NEGATIVE_PROMPT] =
    g_param_spec_string ("negative-prompt", NULL, NULL, NULL, flags);
  properties[PROP_MODE] =
    g_param_spec_string ("mode", NULL, NULL, "std", flags);
  properties[PROP_DURATION] =
    g_param_spec_uint ("duration", NULL, NULL, 0, 60, 5, flags);
  properties[PROP_ASPECT_RATIO] =
    g_param_spec_string ("aspect-ratio", NULL, NULL, "16:9", flags);
  properties[PROP_IMAGE] =
    g_param_spec_string ("image", NULL, NULL, NULL, flags);
  properties[PROP_IMAGE_TAIL] =
    g_param_spec_string ("image-tail", NULL, NULL, NULL, flags);
  properties[PROP_SOUND] =
    g_param_spec_boolean ("sound", NULL, NULL, FALSE, flags);
  properties[PROP_VOICES] =
    g_param_spec_boxed ("voices", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_MOTION_VIDEO] =
    g_param_spec_string ("motion-video", NULL, NULL, NULL, flags);
  properties[PROP_MOTION_SECONDS] =
    g_param_spec_double ("motion-seconds", NULL, NULL, 0.0, 3600.0, 0.0, flags);
  properties[PROP_CHARACTER_ORIENTATION] =
    g_param_spec_string ("character-orientation", NULL, NULL, "video", flags);
  properties[PROP_KEEP_ORIGINAL_SOUND] =
    g_param_spec_boolean ("keep-original-sound", NULL, NULL, TRUE, flags);
  properties[PROP_VERSION] =
    g_param_spec_string ("version", NULL, NULL, "2.6", flags);
  properties[PROP_CALLBACK_URL] =
    g_param_spec_string ("callback-url", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
clap_request_init (ClapRequest *self)
{
  self->model = g_strdup ("kling-v2-6");
  self->mode = g_strdup ("std");
  self->duration = 5;
  self->aspect_ratio = g_strdup ("16:9");
  self->character_orientation = g_strdup ("video");
  self->keep_original_sound = TRUE;
  self->version = g_strdup ("2.6");
}

ClapRequest *
clap_request_new (const char *model)
{
  return g_object_new (CLAP_TYPE_REQUEST, "model", model ? model : "kling-v2-6", NULL);
}

/* A deep copy, for a submission that must not change while the composer does. */
ClapRequest *
clap_request_copy (ClapRequest *self)
{
  g_autoptr(JsonNode) settings = NULL;

  g_return_val_if_fail (CLAP_IS_REQUEST (self), NULL);

  settings = clap_request_save_settings (self);
  return clap_request_new_from_settings (settings, NULL);
}

const ClapModelSpec *
clap_request_get_model_spec (ClapRequest *self)
{
  g_return_val_if_fail (CLAP_IS_REQUEST (self), NULL);
  return clap_catalog_find_model (self->model);
}

#define STRING_ACCESSORS(name, PROP)                                      \
  const char *                                                            \
  clap_request_get_##name (ClapRequest *self)                             \
  {                                                                       \
    g_return_val_if_fail (CLAP_IS_REQUEST (self), NULL);                  \
    return self->name;                                                    \
  }                                                                       \
  void                                                                    \
  clap_request_set_##name (ClapRequest *self,                             \
                           const char  *value)                            \
  {                                                                       \
    g_return_if_fail (CLAP_IS_REQUEST (self));                            \
    set_string (self, &self->name, value, PROP);                          \
  }

STRING_ACCESSORS (model, PROP_MODEL)
STRING_ACCESSORS (prompt, PROP_PROMPT)
STRING_ACCESSORS (negative_prompt, PROP_NEGATIVE_PROMPT)
STRING_ACCESSORS (mode, PROP_MODE)
STRING_ACCESSORS (aspect_ratio, PROP_ASPECT_RATIO)
STRING_ACCESSORS (image, PROP_IMAGE)
STRING_ACCESSORS (image_tail, PROP_IMAGE_TAIL)
STRING_ACCESSORS (motion_video, PROP_MOTION_VIDEO)
STRING_ACCESSORS (character_orientation, PROP_CHARACTER_ORIENTATION)
STRING_ACCESSORS (version, PROP_VERSION)
STRING_ACCESSORS (callback_url, PROP_CALLBACK_URL)

#undef STRING_ACCESSORS

guint
clap_request_get_duration (ClapRequest *self)
{
  g_return_val_if_fail (CLAP_IS_REQUEST (self), 0);
  return self->duration;
}

void
clap_request_set_duration (ClapRequest *self,
                           guint        seconds)
{
  g_return_if_fail (CLAP_IS_REQUEST (self));

  if (self->duration != seconds)
    {
      self->duration = seconds;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION]);
    }
}

gboolean
clap_request_get_sound (ClapRequest *self)
{
  g_return_val_if_fail (CLAP_IS_REQUEST (self), FALSE);
  return self->sound;
}

void
clap_request_set_sound (ClapRequest *self,
                        gboolean     sound)
{
  g_return_if_fail (CLAP_IS_REQUEST (self));

  sound = !!sound;
  if (self->sound != sound)
    {
      self->sound = sound;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOUND]);
    }
}

const char * const *
clap_request_get_voices (ClapRequest *self)
{
  g_return_val_if_fail (CLAP_IS_REQUEST (self), NULL);
  return (const char * const *) self->voices;
}

void
clap_request_set_voices (ClapRequest        *self,
                         const char * const *voices)
{
  g_return_if_fail (CLAP_IS_REQUEST (self));

  if (_clap_replace_strv (&self->voices, voices))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VOICES]);
}

double
clap_request_get_motion_seconds (ClapRequest *self)
{
  g_return_val_if_fail (CLAP_IS_REQUEST (self), 0.0);
  return self->motion_seconds;
}

/* The length of the motion video, which the person's local file or their own
 * statement gives: the provider bills it and makes a clip of that length. */
void
clap_request_set_motion_seconds (ClapRequest *self,
                                 double       seconds)
{
  g_return_if_fail (CLAP_IS_REQUEST (self));

  if (self->motion_seconds != seconds)
    {
      self->motion_seconds = seconds;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MOTION_SECONDS]);
    }
}

gboolean
clap_request_get_keep_original_sound (ClapRequest *self)
{
  g_return_val_if_fail (CLAP_IS_REQUEST (self), FALSE);
  return self->keep_original_sound;
}

void
clap_request_set_keep_original_sound (ClapRequest *self,
                                      gboolean     keep)
{
  g_return_if_fail (CLAP_IS_REQUEST (self));

  keep = !!keep;
  if (self->keep_original_sound != keep)
    {
      self->keep_original_sound = keep;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEEP_ORIGINAL_SOUND]);
    }
}

/* The three inputs that may need an upload, by option. */
const char *
clap_request_get_input (ClapRequest *self,
                        ClapOption   option)
{
  switch (option)
    {
    case CLAP_OPTION_IMAGE:
      return self->image;
    case CLAP_OPTION_IMAGE_TAIL:
      return self->image_tail;
    case CLAP_OPTION_MOTION_VIDEO:
      return self->motion_video;
    default:
      g_return_val_if_reached (NULL);
    }
}

void
clap_request_set_input (ClapRequest *self,
                        ClapOption   option,
                        const char  *value)
{
  switch (option)
    {
    case CLAP_OPTION_IMAGE:
      clap_request_set_image (self, value);
      break;
    case CLAP_OPTION_IMAGE_TAIL:
      clap_request_set_image_tail (self, value);
      break;
    case CLAP_OPTION_MOTION_VIDEO:
      clap_request_set_motion_video (self, value);
      break;
    default:
      g_return_if_reached ();
    }
}

/* The seconds the clip will last and be billed for. */
guint
clap_request_get_effective_duration (ClapRequest *self)
{
  const ClapModelSpec *model = clap_request_get_model_spec (self);

  if (model != NULL && (model->flags & CLAP_MODEL_DURATION_IS_VIDEO) != 0)
    {
      /* Billing is per started second of the motion video. The small
       * tolerance keeps a 5.000001 s file at 5 s. */
      if (self->motion_seconds <= 0.0)
        return 0;
      return (guint) ceil (self->motion_seconds - 0.01);
    }

  return self->duration;
}

double
clap_request_get_max_motion_seconds (ClapRequest *self)
{
  return g_strcmp0 (self->character_orientation, "image") == 0
         ? CLAP_VIDEO_MAX_SECONDS_IMAGE
         : CLAP_VIDEO_MAX_SECONDS;
}

/* The with-voice price applies when voices are set and the prompt calls one. */
gboolean
clap_request_uses_voice (ClapRequest *self)
{
  const ClapModelSpec *model = clap_request_get_model_spec (self);

  return model != NULL &&
         clap_model_has_option (model, CLAP_OPTION_VOICES) &&
         self->voices != NULL &&
         self->prompt != NULL &&
         strstr (self->prompt, "<<<voice_") != NULL;
}

gboolean
clap_input_is_url (const char *value)
{
  return value != NULL &&
         (g_str_has_prefix (value, "https://") || g_str_has_prefix (value, "http://"));
}

/* Only https leaves the machine; plain http is allowed to loopback alone
 * (the simulator and tests). */
gboolean
clap_url_is_allowed (const char  *url,
                     GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_BAD_URL,
                   _("“%s” is not a valid web address."), url ? url : "");
      return FALSE;
    }

  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "https") == 0)
    return TRUE;

  if (g_ascii_strcasecmp (scheme, "http") == 0 && _clap_host_is_loopback (g_uri_get_host (uri)))
    return TRUE;

  g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_BAD_URL,
               _("“%s” is not a secure address; only https:// addresses are used "
                 "(plain http only on this computer)."), url);
  return FALSE;
}

static gboolean
address_is_private (GInetAddress *address)
{
  const guint8 *bytes = g_inet_address_to_bytes (address);

  if (g_inet_address_get_is_loopback (address) ||
      g_inet_address_get_is_any (address) ||
      g_inet_address_get_is_link_local (address) ||  /* 169.254.0.0/16, fe80::/10 */
      g_inet_address_get_is_site_local (address))    /* 10/8, 172.16/12, 192.168/16, fec0::/10 */
    return TRUE;

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4)
    return bytes[0] == 0 ||                               /* 0.0.0.0/8 */
           (bytes[0] == 100 && (bytes[1] & 0xc0) == 64);  /* 100.64.0.0/10 */

  if ((bytes[0] & 0xfe) == 0xfc)                          /* fc00::/7 */
    return TRUE;

  /* ::ffff:a.b.c.d is the IPv4 address a.b.c.d */
  if (memcmp (bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
    {
      g_autoptr(GInetAddress) v4 = g_inet_address_new_from_bytes (bytes + 12,
                                                                  G_SOCKET_FAMILY_IPV4);
      return address_is_private (v4);
    }

  return FALSE;
}

/* Whether @host (as a URL names it) is this computer, a private network
 * or a name only a local network resolves: loopback, RFC 1918,
 * 100.64.0.0/10, link-local, fc00::/7, 0.0.0.0, "localhost", *.localhost,
 * *.local, *.internal, *.lan, *.home.arpa, or a name of one label. The
 * provider's servers cannot fetch a link there. Names are not resolved:
 * this is what can be told before anything is sent. */
gboolean
clap_host_is_private (const char *host)
{
  static const char * const local_suffixes[] = {
    "localhost", "local", "internal", "lan", "home.arpa",
  };
  g_autofree char *name = NULL;
  g_autoptr(GInetAddress) address = NULL;
  struct in_addr v4;
  gsize length;

  if (host == NULL || *host == '\0')
    return FALSE;

  /* "[::1]", "fe80::1%eth0", "example.com." */
  name = g_ascii_strdown (host + (host[0] == '['), -1);
  length = strcspn (name, "]%");
  name[length] = '\0';
  while (length > 0 && name[length - 1] == '.')
    name[--length] = '\0';
  if (length == 0)
    return TRUE;

  address = g_inet_address_new_from_string (name);
  if (address != NULL)
    return address_is_private (address);

  /* The other ways to write an IPv4 address that resolvers accept:
   * "2130706433", "0x7f.1", "127.1". */
  if (inet_aton (name, &v4) != 0)
    {
      g_autoptr(GInetAddress) numeric =
        g_inet_address_new_from_bytes ((const guint8 *) &v4.s_addr, G_SOCKET_FAMILY_IPV4);
      return address_is_private (numeric);
    }

  if (strchr (name, '.') == NULL)
    return TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (local_suffixes); i++)
    {
      gsize suffix = strlen (local_suffixes[i]);

      if (g_str_equal (name, local_suffixes[i]) ||
          (length > suffix && name[length - suffix - 1] == '.' &&
           g_str_equal (name + length - suffix, local_suffixes[i])))
        return TRUE;
    }

  return FALSE;
}

/* Refuses, before anything is sent, a link the person gave to an image or
 * a video that the provider cannot fetch: one on a private or local host
 * (clap_host_is_private). Such links are allowed when the service at
 * @base_url (NULL: the real one) is itself on such a host: a local
 * provider, the simulator, can fetch them. Local files are not links; the
 * links the upload endpoint returns are never checked here, since uploads
 * replace the files after this check. */
gboolean
clap_request_check_links (ClapRequest  *self,
                          const char   *base_url,
                          GError      **error)
{
  static const ClapOption slots[] = {
    CLAP_OPTION_IMAGE, CLAP_OPTION_IMAGE_TAIL, CLAP_OPTION_MOTION_VIDEO,
  };
  const ClapModelSpec *model;
  g_autoptr(GUri) base = NULL;

  g_return_val_if_fail (CLAP_IS_REQUEST (self), FALSE);

  base = base_url != NULL ? g_uri_parse (base_url, G_URI_FLAGS_NONE, NULL) : NULL;
  if (base != NULL && clap_host_is_private (g_uri_get_host (base)))
    return TRUE;

  model = clap_request_get_model_spec (self);
  if (model == NULL)
    return TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
    {
      const char *value = clap_request_get_input (self, slots[i]);
      g_autoptr(GUri) uri = NULL;
      g_autofree char *shown_url = NULL;
      g_autofree char *shown_host = NULL;

      if (!clap_model_has_option (model, slots[i]) || !clap_input_is_url (value))
        continue;

      uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
      if (uri == NULL || !clap_host_is_private (g_uri_get_host (uri)))
        continue;

      shown_url = clap_untrusted_escape (value, 120);
      shown_host = clap_untrusted_escape (g_uri_get_host (uri), 60);
      g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_PRIVATE_URL,
                   _("The provider cannot fetch “%s”: %s is a private or local address. "
                     "Give a public link, or the file itself."), shown_url, shown_host);
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_text (const char  *text,
            const char  *what,
            gint         too_long_code,
            GError     **error)
{
  glong n_chars;
  glong index = 0;

  if (text == NULL)
    return TRUE;

  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_INVALID_TEXT,
                   /* Translators: %s is "The prompt" or "The negative prompt" */
                   _("%s is not valid UTF-8 text."), what);
      return FALSE;
    }

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p), index++)
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n' || c == '\t' || c == '\r')
        continue;

      if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        {
          g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_INVALID_TEXT,
                       /* Translators: "The prompt contains an invisible control
                        * character (U+0007) at position 12. Remove it." */
                       _("%s contains an invisible control character (U+%04X) at position %ld. "
                         "Remove it."), what, c, index + 1);
          return FALSE;
        }
    }

  n_chars = g_utf8_strlen (text, -1);
  if (n_chars > CLAP_PROMPT_MAX_CHARS)
    {
      g_set_error (error, CLAP_REQUEST_ERROR, too_long_code,
                   _("%s has %ld characters; the limit is %d."),
                   what, n_chars, CLAP_PROMPT_MAX_CHARS);
      return FALSE;
    }

  return TRUE;
}

static gboolean
is_blank (const char *text)
{
  if (text == NULL)
    return TRUE;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;

  return TRUE;
}

/* @message has two %s: the value, and the list of allowed values. */
static gboolean
check_choice (const ClapModelSpec  *model,
              ClapOption            option,
              const char           *value,
              gint                  code,
              const char           *message,
              GError              **error)
{
  const ClapOptionSpec *spec = clap_model_get_option (model, option);
  g_autoptr(GString) allowed = NULL;

  if (spec == NULL || clap_option_find_choice (spec, value) != NULL)
    return TRUE;

  allowed = g_string_new (NULL);
  for (const ClapChoice *choice = spec->choices; choice->value != NULL; choice++)
    g_string_append_printf (allowed, "%s%s", allowed->len ? ", " : "", choice->value);

  /* @message is one of this file's translated literals, with two %s. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  g_set_error (error, CLAP_REQUEST_ERROR, code, message, value ? value : "", allowed->str);
#pragma GCC diagnostic pop
  return FALSE;
}

static char *
describe_durations (const ClapModelSpec *model)
{
  g_autoptr(GString) s = g_string_new (NULL);

  if (model->durations == NULL)
    return g_strdup_printf (_("%u to %u seconds"), model->min_duration, model->max_duration);

  for (const guint *d = model->durations; *d != 0; d++)
    {
      if (s->len > 0)
        g_string_append (s, d[1] == 0 ? _(" or ") : ", ");
      g_string_append_printf (s, "%u", *d);
    }
  g_string_append (s, _(" seconds"));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gboolean
check_input (const char  *value,
             GError     **error)
{
  if (value == NULL || !clap_input_is_url (value))
    return TRUE;
  return clap_url_is_allowed (value, error);
}

/* Checks every rule of the contract that can be checked without the network.
 * Local files are probed separately, by the code that uploads them. */
gboolean
clap_request_validate (ClapRequest  *self,
                       GError      **error)
{
  const ClapModelSpec *model;

  g_return_val_if_fail (CLAP_IS_REQUEST (self), FALSE);

  model = clap_request_get_model_spec (self);
  if (model == NULL)
    {
      g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_UNKNOWN_MODEL,
                   _("“%s” is not a known model; choose kling-v2-6, kling-v3 or "
                     "kling-motion-control."), self->model ? self->model : "");
      return FALSE;
    }

  if ((model->flags & CLAP_MODEL_PROMPT_REQUIRED) != 0 && is_blank (self->prompt))
    {
      g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_MISSING_PROMPT,
                   _("Write a prompt that describes the clip."));
      return FALSE;
    }

  if (!check_text (self->prompt, _("The prompt"), CLAP_REQUEST_ERROR_PROMPT_TOO_LONG, error))
    return FALSE;

  if (clap_model_has_option (model, CLAP_OPTION_NEGATIVE_PROMPT) &&
      !check_text (self->negative_prompt, _("The negative prompt"),
                   CLAP_REQUEST_ERROR_NEGATIVE_PROMPT_TOO_LONG, error))
    return FALSE;

  if (!check_choice (model, CLAP_OPTION_MODE, self->mode, CLAP_REQUEST_ERROR_UNKNOWN_MODE,
                     _("“%s” is not a mode; choose one of %s."), error))
    return FALSE;

  if ((model->flags & CLAP_MODEL_DURATION_IS_VIDEO) == 0 &&
      !clap_model_allows_duration (model, self->duration))
    {
      g_autofree char *allowed = describe_durations (model);
      g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_DURATION_NOT_ALLOWED,
                   _("%s makes clips of %s, not %u."),
                   g_dgettext (GETTEXT_PACKAGE, model->label), allowed, self->duration);
      return FALSE;
    }

  if (!check_choice (model, CLAP_OPTION_ASPECT_RATIO, self->aspect_ratio,
                     CLAP_REQUEST_ERROR_UNKNOWN_ASPECT_RATIO,
                     _("“%s” is not an aspect ratio the model offers; choose one of %s."), error))
    return FALSE;

  if (clap_model_has_option (model, CLAP_OPTION_SOUND) && self->sound &&
      (model->flags & CLAP_MODEL_SOUND_NEEDS_PRO) != 0 && g_strcmp0 (self->mode, "pro") != 0)
    {
      g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_SOUND_NEEDS_PRO,
                   _("Audio on %s needs the Professional mode."),
                   g_dgettext (GETTEXT_PACKAGE, model->label));
      return FALSE;
    }

  if (clap_model_has_option (model, CLAP_OPTION_VOICES) && self->voices != NULL)
    {
      guint n_voices = g_strv_length (self->voices);

      if (!self->sound)
        {
          g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_VOICE_NEEDS_SOUND,
                       _("Voices need audio: turn audio on or remove the voices."));
          return FALSE;
        }

      if (n_voices > model->max_voices)
        {
          g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_TOO_MANY_VOICES,
                       g_dngettext (GETTEXT_PACKAGE,
                                    "A clip can have at most %u voice; %u are set.",
                                    "A clip can have at most %u voices; %u are set.",
                                    model->max_voices),
                       model->max_voices, n_voices);
          return FALSE;
        }

      for (guint i = 0; i < n_voices; i++)
        {
          const char *id = self->voices[i];
          gboolean ok = *id != '\0' && strlen (id) <= 128;

          for (const char *p = id; ok && *p; p++)
            ok = g_ascii_isalnum (*p) || *p == '_' || *p == '-' || *p == '.';

          if (!ok)
            {
              g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_INVALID_VOICE,
                           _("“%s” is not a voice id; ids are made of letters, digits, “_”, "
                             "“-” and “.”."), id);
              return FALSE;
            }
        }
    }

  if ((model->flags & CLAP_MODEL_NEEDS_IMAGE) != 0 && self->image == NULL)
    {
      g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_MISSING_IMAGE,
                   _("%s needs a character image."),
                   g_dgettext (GETTEXT_PACKAGE, model->label));
      return FALSE;
    }

  if (clap_model_has_option (model, CLAP_OPTION_IMAGE_TAIL) &&
      self->image_tail != NULL && self->image == NULL)
    {
      g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_TAIL_WITHOUT_IMAGE,
                   _("A last frame needs a first frame too."));
      return FALSE;
    }

  if ((model->flags & CLAP_MODEL_NEEDS_MOTION) != 0)
    {
      double max_seconds = clap_request_get_max_motion_seconds (self);

      if (self->motion_video == NULL)
        {
          g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_MISSING_MOTION_VIDEO,
                       _("%s needs a motion video."), g_dgettext (GETTEXT_PACKAGE, model->label));
          return FALSE;
        }

      if (!check_choice (model, CLAP_OPTION_CHARACTER_ORIENTATION, self->character_orientation,
                         CLAP_REQUEST_ERROR_UNKNOWN_ORIENTATION,
                         _("“%s” is not a character orientation; choose one of %s."), error) ||
          !check_choice (model, CLAP_OPTION_VERSION, self->version,
                         CLAP_REQUEST_ERROR_UNKNOWN_VERSION,
                         _("“%s” is not a Kling version of motion control; choose one of %s."),
                         error))
        return FALSE;

      if (self->motion_seconds <= 0.0)
        {
          g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_MOTION_LENGTH_UNKNOWN,
                       _("The length of the motion video is not known, and the clip’s length "
                         "and price follow it."));
          return FALSE;
        }

      if (self->motion_seconds < CLAP_VIDEO_MIN_SECONDS)
        {
          g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_MOTION_VIDEO_TOO_SHORT,
                       _("The motion video lasts %.1f s; it must last at least %.0f s."),
                       self->motion_seconds, CLAP_VIDEO_MIN_SECONDS);
          return FALSE;
        }

      if (self->motion_seconds > max_seconds + 0.05)
        {
          g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_MOTION_VIDEO_TOO_LONG,
                       max_seconds < CLAP_VIDEO_MAX_SECONDS
                       ? _("The motion video lasts %.1f s; when the character follows the "
                           "image it may last at most %.0f s.")
                       : _("The motion video lasts %.1f s; it may last at most %.0f s."),
                       self->motion_seconds, max_seconds);
          return FALSE;
        }
    }

  if ((clap_model_has_option (model, CLAP_OPTION_IMAGE) && !check_input (self->image, error)) ||
      (clap_model_has_option (model, CLAP_OPTION_IMAGE_TAIL) &&
       !check_input (self->image_tail, error)) ||
      (clap_model_has_option (model, CLAP_OPTION_MOTION_VIDEO) &&
       !check_input (self->motion_video, error)))
    return FALSE;

  if (self->callback_url != NULL && !clap_url_is_allowed (self->callback_url, error))
    return FALSE;

  return TRUE;
}

/* The price of the clip from the provider's tables; FALSE when the options
 * are not a combination it sells (the request would not validate either). */
gboolean
clap_request_estimate (ClapRequest *self,
                       ClapPrice   *out_price)
{
  const ClapModelSpec *model;

  g_return_val_if_fail (CLAP_IS_REQUEST (self), FALSE);

  model = clap_request_get_model_spec (self);
  if (model == NULL)
    return FALSE;

  return clap_catalog_estimate (model->id,
                                self->mode,
                                clap_model_has_option (model, CLAP_OPTION_VERSION) ? self->version : NULL,
                                clap_model_has_option (model, CLAP_OPTION_SOUND) && self->sound,
                                clap_request_uses_voice (self),
                                clap_request_get_effective_duration (self),
                                out_price);
}

static gboolean
get_wire_value (ClapRequest           *self,
                const ClapOptionSpec  *spec,
                char                 **out_value,
                GError               **error)
{
  const char *value = NULL;
  g_autofree char *owned = NULL;

  switch (spec->option)
    {
    case CLAP_OPTION_PROMPT:
      value = self->prompt;
      break;
    case CLAP_OPTION_NEGATIVE_PROMPT:
      value = self->negative_prompt;
      break;
    case CLAP_OPTION_MODE:
      value = self->mode;
      break;
    case CLAP_OPTION_DURATION:
      owned = g_strdup_printf ("%u", clap_request_get_effective_duration (self));
      value = owned;
      break;
    case CLAP_OPTION_ASPECT_RATIO:
      value = self->aspect_ratio;
      break;
    case CLAP_OPTION_IMAGE:
    case CLAP_OPTION_IMAGE_TAIL:
    case CLAP_OPTION_MOTION_VIDEO:
      value = clap_request_get_input (self, spec->option);
      if (value != NULL && !clap_input_is_url (value))
        {
          g_set_error (error, CLAP_REQUEST_ERROR, CLAP_REQUEST_ERROR_NOT_UPLOADED,
                       _("The file “%s” has not been uploaded yet."), value);
          return FALSE;
        }
      break;
    case CLAP_OPTION_SOUND:
      value = self->sound ? "on" : "off";
      break;
    case CLAP_OPTION_KEEP_ORIGINAL_SOUND:
      value = self->keep_original_sound ? "on" : "off";
      break;
    case CLAP_OPTION_CHARACTER_ORIENTATION:
      value = self->character_orientation;
      break;
    case CLAP_OPTION_VERSION:
      value = self->version;
      break;
    case CLAP_OPTION_CALLBACK_URL:
      value = self->callback_url;
      break;
    case CLAP_OPTION_VOICES:
    case CLAP_N_OPTIONS:
    default:
      break;
    }

  if (value != NULL && spec->choices != NULL)
    {
      const ClapChoice *choice = clap_option_find_choice (spec, value);
      if (choice != NULL)
        value = choice->wire_value;
    }

  *out_value = g_strdup (value);
  return TRUE;
}

static void
add_voices (ClapRequest *self,
            JsonBuilder *builder)
{
  json_builder_begin_array (builder);
  for (guint i = 0; self->voices[i] != NULL; i++)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "voice_id");
      json_builder_add_string_value (builder, self->voices[i]);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* The body of the create request, written as the catalogue says: each
 * option under every name it lists, in the kind it gives for that name.
 * Validate first; inputs must be URLs by now. */
JsonNode *
clap_request_to_json (ClapRequest  *self,
                      GError      **error)
{
  g_autoptr(JsonBuilder) builder = NULL;
  const ClapModelSpec *model;

  g_return_val_if_fail (CLAP_IS_REQUEST (self), NULL);

  if (!clap_request_validate (self, error))
    return NULL;

  model = clap_request_get_model_spec (self);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, model->id);

  for (const ClapOptionSpec *spec = model->options; spec->wire_name != NULL; spec++)
    {
      g_autofree char *value = NULL;

      if (spec->option == CLAP_OPTION_VOICES)
        {
          if (self->voices == NULL)
            continue;

          for (const ClapWireField *wire = spec->wires; wire->name != NULL; wire++)
            {
              json_builder_set_member_name (builder, wire->name);
              add_voices (self, builder);
            }
          continue;
        }

      if (!get_wire_value (self, spec, &value, error))
        return NULL;
      if (value == NULL)
        continue;

      for (const ClapWireField *wire = spec->wires; wire->name != NULL; wire++)
        {
          json_builder_set_member_name (builder, wire->name);
          if (wire->kind == CLAP_WIRE_STRING_ARRAY)
            {
              json_builder_begin_array (builder);
              json_builder_add_string_value (builder, value);
              json_builder_end_array (builder);
            }
          else
            {
              json_builder_add_string_value (builder, value);
            }
        }
    }

  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Every property, as the application stores it with a take (local paths
 * included), so "Reuse Settings" can give the composer back its state. */
JsonNode *
clap_request_save_settings (ClapRequest *self)
{
  g_return_val_if_fail (CLAP_IS_REQUEST (self), NULL);
  return json_gobject_serialize (G_OBJECT (self));
}

ClapRequest *
clap_request_new_from_settings (JsonNode  *settings,
                                GError   **error)
{
  GObject *object;

  if (settings == NULL || !JSON_NODE_HOLDS_OBJECT (settings))
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   _("The saved settings are not an object."));
      return NULL;
    }

  object = json_gobject_deserialize (CLAP_TYPE_REQUEST, settings);
  return CLAP_REQUEST (object);
}

/* "Kling 3 · Professional · 10 s · 16:9 · audio", for lists and the CLI. */
char *
clap_request_describe (ClapRequest *self)
{
  const ClapModelSpec *model = clap_request_get_model_spec (self);
  g_autoptr(GString) s = g_string_new (NULL);
  const ClapOptionSpec *spec;
  const ClapChoice *choice;

  if (model == NULL)
    return g_strdup (self->model ? self->model : "");

  g_string_append (s, g_dgettext (GETTEXT_PACKAGE, model->label));

  spec = clap_model_get_option (model, CLAP_OPTION_VERSION);
  if ((choice = clap_option_find_choice (spec, self->version)) != NULL)
    g_string_append_printf (s, " · %s", g_dgettext (GETTEXT_PACKAGE, choice->label));

  spec = clap_model_get_option (model, CLAP_OPTION_MODE);
  if ((choice = clap_option_find_choice (spec, self->mode)) != NULL)
    g_string_append_printf (s, " · %s", g_dgettext (GETTEXT_PACKAGE, choice->label));

  if (clap_request_get_effective_duration (self) > 0)
    g_string_append_printf (s, _(" · %u s"), clap_request_get_effective_duration (self));

  if (clap_model_has_option (model, CLAP_OPTION_ASPECT_RATIO) && self->aspect_ratio != NULL)
    g_string_append_printf (s, " · %s", self->aspect_ratio);

  if (clap_model_has_option (model, CLAP_OPTION_SOUND) && self->sound)
    g_string_append (s, _(" · audio"));

  if (clap_request_uses_voice (self))
    g_string_append (s, _(" · voice"));

  return g_string_free (g_steal_pointer (&s), FALSE);
}
