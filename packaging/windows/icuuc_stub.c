/* A stand-in for Windows 10's system icuuc.dll, for the Wine test prefix ONLY: never shipped, never bundled.

   Qt6Core.dll (PySide6 6.11 wheels) imports these ucnv_* functions from icuuc.dll, which every Windows 10
   1903+ has in System32 and Wine 8.0 does not; without it `import PySide6.QtCore` fails ("DLL load failed").
   Qt uses them only for text codecs beyond its built-in UTF-8/UTF-16/Latin-1 ones. Here every converter
   fails to open, so such codecs are simply "unavailable".

   packaging/windows/test_under_wine.sh compiles it with mingw-w64 and puts it in the prefix's system32, so
   PyInstaller sees a system DLL and leaves it out; the stage then checks that neither bundle carries any
   icu*.dll (a bundled System32 icuuc.dll forwards to icu.dll, which Windows 10 1809 lacks). */
#include <stddef.h>
#include <stdint.h>

typedef int UErrorCode;
typedef uint16_t UChar;
#define U_FILE_ACCESS_ERROR 4
#define API __declspec(dllexport)
#define FAIL(e) do { if ((e) != NULL && *(e) <= 0) *(e) = U_FILE_ACCESS_ERROR; } while (0)

API void *ucnv_open(const char *name, UErrorCode *e) { (void)name; FAIL(e); return NULL; }
API void ucnv_close(void *cnv) { (void)cnv; }
API void ucnv_reset(void *cnv) { (void)cnv; }
API int8_t ucnv_getMaxCharSize(const void *cnv) { (void)cnv; return 1; }
API const char *ucnv_getName(const void *cnv, UErrorCode *e) { (void)cnv; FAIL(e); return NULL; }
API void ucnv_getToUCallBack(const void *cnv, void **action, const void **ctx) {
    (void)cnv; if (action) *action = NULL; if (ctx) *ctx = NULL; }
API void ucnv_getFromUCallBack(const void *cnv, void **action, const void **ctx) {
    (void)cnv; if (action) *action = NULL; if (ctx) *ctx = NULL; }
API void ucnv_setToUCallBack(void *cnv, void *action, const void *ctx, void **old_action, const void **old_ctx,
                             UErrorCode *e) {
    (void)cnv; (void)action; (void)ctx; (void)old_action; (void)old_ctx; FAIL(e); }
API void ucnv_setFromUCallBack(void *cnv, void *action, const void *ctx, void **old_action, const void **old_ctx,
                               UErrorCode *e) {
    (void)cnv; (void)action; (void)ctx; (void)old_action; (void)old_ctx; FAIL(e); }
API void ucnv_cbToUWriteUChars(void *args, const UChar *src, int32_t n, int32_t offset, UErrorCode *e) {
    (void)args; (void)src; (void)n; (void)offset; FAIL(e); }
API void ucnv_cbFromUWriteUChars(void *args, const UChar **src, const UChar *limit, int32_t offset, UErrorCode *e) {
    (void)args; (void)src; (void)limit; (void)offset; FAIL(e); }
API void ucnv_toUnicode(void *cnv, UChar **target, const UChar *target_limit, const char **src, const char *src_limit,
                        int32_t *offsets, int8_t flush, UErrorCode *e) {
    (void)cnv; (void)target; (void)target_limit; (void)src; (void)src_limit; (void)offsets; (void)flush; FAIL(e); }
API void ucnv_fromUnicode(void *cnv, char **target, const char *target_limit, const UChar **src,
                          const UChar *src_limit, int32_t *offsets, int8_t flush, UErrorCode *e) {
    (void)cnv; (void)target; (void)target_limit; (void)src; (void)src_limit; (void)offsets; (void)flush; FAIL(e); }
API int32_t ucnv_toUCountPending(const void *cnv, UErrorCode *e) { (void)cnv; FAIL(e); return 0; }
API int32_t ucnv_fromUCountPending(const void *cnv, UErrorCode *e) { (void)cnv; FAIL(e); return 0; }
API const char *ucnv_getStandardName(const char *name, const char *standard, UErrorCode *e) {
    (void)name; (void)standard; FAIL(e); return NULL; }
API const char *ucnv_getAvailableName(int32_t n) { (void)n; return NULL; }
API int32_t ucnv_countAvailable(void) { return 0; }
API void UCNV_FROM_U_CALLBACK_SUBSTITUTE(const void *ctx, void *args, const UChar *units, int32_t n, int32_t cp,
                                         int reason, UErrorCode *e) {
    (void)ctx; (void)args; (void)units; (void)n; (void)cp; (void)reason; FAIL(e); }
API void UCNV_TO_U_CALLBACK_SUBSTITUTE(const void *ctx, void *args, const char *units, int32_t n, int reason,
                                       UErrorCode *e) {
    (void)ctx; (void)args; (void)units; (void)n; (void)reason; FAIL(e); }
