// One-click lookup: choosing a province or city reloads the form with the next chooser.
// Deeper choices are cleared first, so a county of another province is never sent.
document.querySelectorAll("select[data-autosubmit]").forEach(function (select, index, all) {
  select.addEventListener("change", function () {
    for (var i = index + 1; i < all.length; i++) { all[i].disabled = true; }
    select.form.submit();
  });
});
