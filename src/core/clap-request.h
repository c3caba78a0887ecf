/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "clap-catalog.h"

G_BEGIN_DECLS

#define CLAP_REQUEST_ERROR (clap_request_error_quark ())

/* Every reason a request is refused before it costs anything. */
typedef enum {
  CLAP_REQUEST_ERROR_UNKNOWN_MODEL,
  CLAP_REQUEST_ERROR_MISSING_PROMPT,
  CLAP_REQUEST_ERROR_PROMPT_TOO_LONG,
  CLAP_REQUEST_ERROR_NEGATIVE_PROMPT_TOO_LONG,
  CLAP_REQUEST_ERROR_INVALID_TEXT,
  CLAP_REQUEST_ERROR_UNKNOWN_MODE,
  CLAP_REQUEST_ERROR_DURATION_NOT_ALLOWED,
  CLAP_REQUEST_ERROR_UNKNOWN_ASPECT_RATIO,
  CLAP_REQUEST_ERROR_SOUND_NEEDS_PRO,
  CLAP_REQUEST_ERROR_VOICE_NEEDS_SOUND,
  CLAP_REQUEST_ERROR_TOO_MANY_VOICES,
  CLAP_REQUEST_ERROR_INVALID_VOICE,
  CLAP_REQUEST_ERROR_TAIL_WITHOUT_IMAGE,
  CLAP_REQUEST_ERROR_MISSING_IMAGE,
  CLAP_REQUEST_ERROR_MISSING_MOTION_VIDEO,
  CLAP_REQUEST_ERROR_MOTION_LENGTH_UNKNOWN,
  CLAP_REQUEST_ERROR_MOTION_VIDEO_TOO_SHORT,
  CLAP_REQUEST_ERROR_MOTION_VIDEO_TOO_LONG,
  CLAP_REQUEST_ERROR_UNKNOWN_ORIENTATION,
  CLAP_REQUEST_ERROR_UNKNOWN_VERSION,
  CLAP_REQUEST_ERROR_BAD_URL,
  CLAP_REQUEST_ERROR_NOT_UPLOADED,
  CLAP_REQUEST_ERROR_NO_PRICE,
  CLAP_REQUEST_ERROR_PRIVATE_URL,  /* a link the provider cannot fetch: a private or local host */
} ClapRequestError;

#define CLAP_TYPE_REQUEST (clap_request_get_type ())
G_DECLARE_FINAL_TYPE (ClapRequest, clap_request, CLAP, REQUEST, GObject)

GQuark       clap_request_error_quark           (void);

ClapRequest *clap_request_new                   (const char  *model);
ClapRequest *clap_request_copy                  (ClapRequest *self);

const ClapModelSpec *clap_request_get_model_spec (ClapRequest *self);
const char  *clap_request_get_model             (ClapRequest *self);
void         clap_request_set_model             (ClapRequest *self,
                                                 const char  *model);
const char  *clap_request_get_prompt            (ClapRequest *self);
void         clap_request_set_prompt            (ClapRequest *self,
                                                 const char  *prompt);
const char  *clap_request_get_negative_prompt   (ClapRequest *self);
void         clap_request_set_negative_prompt   (ClapRequest *self,
                                                 const char  *negative_prompt);
const char  *clap_request_get_mode              (ClapRequest *self);
void         clap_request_set_mode              (ClapRequest *self,
                                                 const char  *mode);
guint        clap_request_get_duration          (ClapRequest *self);
void         clap_request_set_duration          (ClapRequest *self,
                                                 guint        seconds);
const char  *clap_request_get_aspect_ratio      (ClapRequest *self);
void         clap_request_set_aspect_ratio      (ClapRequest *self,
                                                 const char  *aspect_ratio);
const char  *clap_request_get_image             (ClapRequest *self);
void         clap_request_set_image             (ClapRequest *self,
                                                 const char  *image);
const char  *clap_request_get_image_tail        (ClapRequest *self);
void         clap_request_set_image_tail        (ClapRequest *self,
                                                 const char  *image_tail);
gboolean     clap_request_get_sound             (ClapRequest *self);
void         clap_request_set_sound             (ClapRequest *self,
                                                 gboolean     sound);
const char * const *clap_request_get_voices     (ClapRequest *self);
void         clap_request_set_voices            (ClapRequest *self,
                                                 const char * const *voices);
const char  *clap_request_get_motion_video      (ClapRequest *self);
void         clap_request_set_motion_video      (ClapRequest *self,
                                                 const char  *motion_video);
double       clap_request_get_motion_seconds    (ClapRequest *self);
void         clap_request_set_motion_seconds    (ClapRequest *self,
                                                 double       seconds);
const char  *clap_request_get_character_orientation (ClapRequest *self);
void         clap_request_set_character_orientation (ClapRequest *self,
                                                     const char  *orientation);
gboolean     clap_request_get_keep_original_sound (ClapRequest *self);
void         clap_request_set_keep_original_sound (ClapRequest *self,
                                                   gboolean     keep);
const char  *clap_request_get_version           (ClapRequest *self);
void         clap_request_set_version           (ClapRequest *self,
                                                 const char  *version);
const char  *clap_request_get_callback_url      (ClapRequest *self);
void         clap_request_set_callback_url      (ClapRequest *self,
                                                 const char  *callback_url);

const char  *clap_request_get_input             (ClapRequest *self,
                                                 ClapOption   option);
void         clap_request_set_input             (ClapRequest *self,
                                                 ClapOption   option,
                                                 const char  *value);

guint        clap_request_get_effective_duration (ClapRequest *self);
double       clap_request_get_max_motion_seconds (ClapRequest *self);
gboolean     clap_request_uses_voice            (ClapRequest *self);
gboolean     clap_request_validate              (ClapRequest *self,
                                                 GError     **error);
gboolean     clap_request_estimate              (ClapRequest *self,
                                                 ClapPrice   *out_price);
JsonNode    *clap_request_to_json               (ClapRequest *self,
                                                 GError     **error);
JsonNode    *clap_request_save_settings         (ClapRequest *self);
ClapRequest *clap_request_new_from_settings     (JsonNode    *settings,
                                                 GError     **error);
char        *clap_request_describe              (ClapRequest *self);

gboolean     clap_request_check_links           (ClapRequest *self,
                                                 const char  *base_url,
                                                 GError     **error);

gboolean     clap_input_is_url                  (const char  *value);
gboolean     clap_url_is_allowed                (const char  *url,
                                                 GError     **error);
gboolean     clap_host_is_private               (const char  *host);

G_END_DECLS
