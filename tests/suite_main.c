/*
 * suite_main.c - the runner shared by every suite: each tests/check_<module>.c is linked with
 * this file and CAPA_SUITE names its suite function. CK_FORK stays on so a crash fails one
 * test, not the run.
 */
#include <check.h>
#include <stdlib.h>

Suite *CAPA_SUITE(void);

int main(void)
{
    SRunner *sr = srunner_create(CAPA_SUITE());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
